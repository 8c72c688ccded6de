import { formatIPv6 } from '../decode/address';
import { HostKey, pairKey } from '../decode/host-key';
import { key4ToString } from '../reassembly/flow-key';

/**
 * An insertion-ordered set of directional endpoint pairs (tag, a:aPort → b:bPort), for detectors
 * that keep one entry per probe or handshake (port-scan, syn-flood). Each entry is a slot number;
 * callers keep what they store about it in their own typed-array columns (indexed by slot) and
 * grow them in `onGrow`.
 *
 * Why not a Map<string, object>: that costs a key string and an object per SYN, which was the
 * main GC load of the pipeline. Here IPv4 keys live in typed arrays behind an open-addressing
 * index (linear probing, backward-shift deletion: no tombstones) and the order is an intrusive
 * doubly linked list, so lookup, insert, delete and move-to-back allocate nothing. IPv6 pairs
 * (rare) go through a Map keyed by their text but share the slots and the order.
 *
 * The only change allowed while iterating is removing the current slot; iterate with `for (let s = t.head; s !== -1; s = n) { n = t.next[s]; ... }`.
 */
export class PairTable {
  size = 0;
  /** Oldest slot (first inserted or moved to back), or -1. */
  head = -1;
  private tail = -1;
  capacity: number;
  /** Next (younger) slot in order, -1 at the tail; for free slots, the next free slot. */
  next: Int32Array;
  private prev: Int32Array;
  private freeHead: number;
  private tagCol: Uint8Array;
  private aCol: Uint32Array;
  private bCol: Uint32Array;
  private portsCol: Uint32Array;
  private hashCol: Int32Array;
  /** IPv6 entries: their key text and hosts; null for IPv4 entries. */
  private key6: Array<string | null>;
  private a6: Array<HostKey | null>;
  private b6: Array<HostKey | null>;
  private index: Int32Array;
  private mask: number;
  private byText = new Map<string, number>();

  constructor(
    initialCapacity = 256,
    private readonly onGrow?: (capacity: number) => void,
  ) {
    const cap = Math.max(16, initialCapacity);
    this.capacity = cap;
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.tagCol = new Uint8Array(cap);
    this.aCol = new Uint32Array(cap);
    this.bCol = new Uint32Array(cap);
    this.portsCol = new Uint32Array(cap);
    this.hashCol = new Int32Array(cap);
    this.key6 = new Array<string | null>(cap).fill(null);
    this.a6 = new Array<HostKey | null>(cap).fill(null);
    this.b6 = new Array<HostKey | null>(cap).fill(null);
    this.index = new Int32Array(indexSize(cap));
    this.mask = this.index.length - 1;
    this.freeHead = chainFree(this.next, 0, cap);
  }

  /** The slot of the pair, or -1. */
  find(tag: number, a: HostKey, aPort: number, b: HostKey, bPort: number): number {
    if (typeof a === 'number' && typeof b === 'number') return this.find4(tag, a, aPort, b, bPort);
    if (this.byText.size === 0) return -1;
    return this.byText.get(pairKey(tag, a, aPort, b, bPort)) ?? -1;
  }

  /** IPv4 lookup: a and b are unsigned 32-bit addresses. */
  find4(tag: number, a: number, aPort: number, b: number, bPort: number): number {
    if (this.size === 0) return -1;
    const ports = ((aPort << 16) | bPort) >>> 0;
    const index = this.index;
    const mask = this.mask;
    let i = hash4(tag, a, b, ports) & mask;
    for (;;) {
      const s = index[i] - 1;
      if (s < 0) return -1;
      if (this.aCol[s] === a && this.bCol[s] === b && this.portsCol[s] === ports && this.tagCol[s] === tag) return s;
      i = (i + 1) & mask;
    }
  }

  /** Appends the pair (which must not be present) as the youngest entry; returns its slot. */
  add(tag: number, a: HostKey, aPort: number, b: HostKey, bPort: number): number {
    if (this.freeHead < 0) this.grow();
    const s = this.freeHead;
    this.freeHead = this.next[s];
    this.tagCol[s] = tag;
    this.portsCol[s] = ((aPort << 16) | bPort) >>> 0;
    if (typeof a === 'number' && typeof b === 'number') {
      this.aCol[s] = a;
      this.bCol[s] = b;
      this.insertIndex(s);
    } else {
      const key = pairKey(tag, a, aPort, b, bPort);
      this.aCol[s] = 0;
      this.bCol[s] = 0;
      this.key6[s] = key;
      this.a6[s] = a;
      this.b6[s] = b;
      this.byText.set(key, s);
    }
    this.linkTail(s);
    this.size++;
    return s;
  }

  remove(s: number): void {
    const key = this.key6[s];
    if (key !== null) {
      this.byText.delete(key);
      this.key6[s] = null;
      this.a6[s] = null;
      this.b6[s] = null;
    } else this.removeIndex(s);
    this.unlink(s);
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.size--;
  }

  /** Makes the entry the youngest (its timeout restarts). */
  moveToBack(s: number): void {
    if (s === this.tail) return;
    this.unlink(s);
    this.linkTail(s);
  }

  aHost(s: number): HostKey {
    const h = this.a6[s];
    return h === null ? this.aCol[s] : h;
  }

  bHost(s: number): HostKey {
    const h = this.b6[s];
    return h === null ? this.bCol[s] : h;
  }

  aPort(s: number): number {
    return this.portsCol[s] >>> 16;
  }

  bPort(s: number): number {
    return this.portsCol[s] & 0xffff;
  }

  tag(s: number): number {
    return this.tagCol[s];
  }

  private linkTail(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private insertIndex(s: number): void {
    const h = hash4(this.tagCol[s], this.aCol[s], this.bCol[s], this.portsCol[s]);
    this.hashCol[s] = h;
    const mask = this.mask;
    let i = h & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = s + 1;
  }

  /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
  private removeIndex(s: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.hashCol[s] & mask;
    while (index[i] !== s + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = index[j] - 1;
      if (t < 0) break;
      const home = this.hashCol[t] & mask;
      // Move t back into the hole unless its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        index[i] = t + 1;
        i = j;
      }
    }
    index[i] = 0;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    this.capacity = cap;
    this.next = growInt32(this.next, cap);
    this.prev = growInt32(this.prev, cap);
    this.tagCol = growUint8(this.tagCol, cap);
    this.aCol = growUint32(this.aCol, cap);
    this.bCol = growUint32(this.bCol, cap);
    this.portsCol = growUint32(this.portsCol, cap);
    this.hashCol = growInt32(this.hashCol, cap);
    for (let s = old; s < cap; s++) {
      this.key6.push(null);
      this.a6.push(null);
      this.b6.push(null);
    }
    this.index = new Int32Array(indexSize(cap));
    this.mask = this.index.length - 1;
    for (let s = this.head; s !== -1; s = this.next[s]) {
      if (this.key6[s] === null) {
        let i = this.hashCol[s] & this.mask;
        while (this.index[i] !== 0) i = (i + 1) & this.mask;
        this.index[i] = s + 1;
      }
    }
    this.freeHead = chainFree(this.next, old, cap);
    this.onGrow?.(cap);
  }
}

/**
 * Adds the pair named by a FlowKeyBuilder key (low endpoint first: 6 char codes for IPv4, 18 for
 * IPv6), as detectors keep their snapshots in that form; returns the slot, or -1 for a malformed key.
 */
export function addFlowKey(t: PairTable, tag: number, key: string): number {
  if (key.length === 6) {
    const a = ((key.charCodeAt(0) << 16) | key.charCodeAt(1)) >>> 0;
    const b = ((key.charCodeAt(3) << 16) | key.charCodeAt(4)) >>> 0;
    return t.add(tag, a, key.charCodeAt(2), b, key.charCodeAt(5));
  }
  if (key.length !== 18) return -1;
  const buf = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) {
    buf.writeUInt16BE(key.charCodeAt(i), 2 * i);
    buf.writeUInt16BE(key.charCodeAt(9 + i), 16 + 2 * i);
  }
  return t.add(tag, formatIPv6(buf, 0), key.charCodeAt(8), formatIPv6(buf, 16), key.charCodeAt(17));
}

/** The FlowKeyBuilder key of an IPv4 slot (IPv6 callers keep theirs). */
export function flowKey4(t: PairTable, s: number): string {
  return key4ToString(t.aHost(s) as number, t.aPort(s), t.bHost(s) as number, t.bPort(s));
}

/** Load factor at most 1/2. */
function indexSize(cap: number): number {
  let n = 16;
  while (n < cap * 2) n *= 2;
  return n;
}

function chainFree(next: Int32Array, from: number, to: number): number {
  for (let s = from; s < to - 1; s++) next[s] = s + 1;
  next[to - 1] = -1;
  return from;
}

function hash4(tag: number, a: number, b: number, ports: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ ports;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) ^ tag;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

export function growInt32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export function growUint32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

export function growUint8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}

export function growFloat64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
