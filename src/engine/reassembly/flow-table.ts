/**
 * The reassembler's stream index: a hash table on the canonical IPv4 4-tuple held as numbers
 * (no key string per packet), a Map for the rarer IPv6 keys, and one intrusive doubly linked
 * list over all entries in least-recently-touched order. The list replaces Map insertion order:
 * moving an entry to the tail is two pointer swaps, and walking from the head never steps over
 * the holes a Map keeps for deleted entries (which made expiry sweeps slow under SYN scans).
 */

export class FlowEntry {
  /** IPv4 key: low endpoint (address as int32, port), high endpoint. `k6 !== null` for IPv6. */
  ka = 0;
  kap = 0;
  kb = 0;
  kbp = 0;
  k6: string | null = null;
  /** hash4 of the IPv4 key (kept so removal and growth need not recompute it). */
  hash = 0;
  /** Next entry in the same hash bucket. */
  hnext: FlowEntry | null = null;
  prev: FlowEntry | null = null;
  next: FlowEntry | null = null;
}

function hash4(a: number, ap: number, b: number, bp: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ ((ap << 16) | bp), 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 13)) & 0x3fffffff; // small integer: stored in entries without boxing
}

export class FlowTable<E extends FlowEntry> {
  head: E | null = null;
  tail: E | null = null;
  size = 0;
  private buckets: (E | null)[] = new Array<E | null>(1024).fill(null);
  private mask = 1023;
  private count4 = 0;
  private readonly v6 = new Map<string, E>();

  /** Entry for the IPv4 key (addresses as int32). */
  get4(a: number, ap: number, b: number, bp: number): E | undefined {
    let e = this.buckets[hash4(a, ap, b, bp) & this.mask];
    while (e !== null) {
      if (e.ka === a && e.kb === b && e.kap === ap && e.kbp === bp) return e;
      e = e.hnext as E | null;
    }
    return undefined;
  }

  get6(key: string): E | undefined {
    return this.v6.get(key);
  }

  /** Index `e` under its key fields (set by the caller) and append it at the tail. */
  add(e: E): void {
    if (e.k6 !== null) {
      this.v6.set(e.k6, e);
    } else {
      if (this.count4 >= this.buckets.length) this.grow();
      e.hash = hash4(e.ka, e.kap, e.kb, e.kbp);
      const i = e.hash & this.mask;
      e.hnext = this.buckets[i];
      this.buckets[i] = e;
      this.count4++;
    }
    this.size++;
    this.linkTail(e);
  }

  remove(e: E): void {
    if (e.k6 !== null) {
      this.v6.delete(e.k6);
    } else {
      const i = e.hash & this.mask;
      let c = this.buckets[i];
      if (c === e) {
        this.buckets[i] = e.hnext as E | null;
      } else {
        while (c !== null && c.hnext !== e) c = c.hnext as E | null;
        if (c !== null) c.hnext = e.hnext;
      }
      e.hnext = null;
      this.count4--;
    }
    this.size--;
    this.unlink(e);
  }

  /** Move `e` to the tail (most recently touched). */
  touch(e: E): void {
    if (this.tail === e) return;
    this.unlink(e);
    this.linkTail(e);
  }

  clear(): void {
    this.buckets = new Array<E | null>(1024).fill(null);
    this.mask = 1023;
    this.count4 = 0;
    this.v6.clear();
    this.head = null;
    this.tail = null;
    this.size = 0;
  }

  private linkTail(e: E): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail !== null) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }

  private unlink(e: E): void {
    if (e.prev !== null) e.prev.next = e.next;
    else this.head = e.next as E | null;
    if (e.next !== null) e.next.prev = e.prev;
    else this.tail = e.prev as E | null;
    e.prev = null;
    e.next = null;
  }

  private grow(): void {
    const old = this.buckets;
    const n = old.length * 2;
    this.buckets = new Array<E | null>(n).fill(null);
    this.mask = n - 1;
    for (let i = 0; i < old.length; i++) {
      let e = old[i];
      while (e !== null) {
        const nx = e.hnext as E | null;
        const j = e.hash & this.mask;
        e.hnext = this.buckets[j];
        this.buckets[j] = e;
        e = nx;
      }
    }
  }
}
