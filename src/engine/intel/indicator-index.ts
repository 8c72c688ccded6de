/**
 * The threat-intelligence indicator index: IPv4/IPv6 addresses and CIDRs, domains (with parent
 * matching) and URLs, each remembering the feed(s) that listed it. Built once from parsed feeds
 * (outside the hot path), then read-only and shared by every pipeline that is handed it.
 *
 * IPv4 (the per-packet case) never formats an address: every IPv4 indicator is a range
 * [start, start + 2^(32-prefix)), and CIDRs are laminar (two prefixes are nested or disjoint), so
 * a sweep flattens all of them into elementary intervals, each naming its most specific covering
 * indicator; enclosing indicators are reached through `parent` links. A lookup first reads one
 * bit of a /24 presence bitmap (most addresses stop there), then one entry of a 65 536-entry
 * table (the interval range of the address's /16) and binary-searches inside it — a handful of
 * steps even with a million indicators — all on typed arrays.
 *
 * IPv6 is rare in both feeds and traffic: a Map per prefix length present. Domains: a Map probed
 * with the name and each parent (a.b.evil.com → b.evil.com → evil.com). URLs: a Map probed with
 * the normalised URL, then without its query.
 */
import { formatIPv4, formatIPv6, parseIPv4 } from '../decode/address';
import type { Severity } from '../finding';
import { parseIPv6 } from '../decode/address';
import { hostPort, normalizeDomain, normalizeUrl } from './indicator-text';

export type IndicatorKind = 'ip' | 'domain' | 'url';

export interface FeedInfo {
  name: string;
  /** Severity of a hit on this feed's indicators (the highest wins when several feeds list one). */
  severity: Severity;
}

/** One matched indicator: canonical text, kind, and the indexes (into `feeds`) of the feeds listing it. */
export interface IndicatorHit {
  indicator: string;
  kind: IndicatorKind;
  feeds: readonly number[];
}

export interface IndexCounts {
  ipv4: number;
  ipv4Cidr: number;
  ipv6: number;
  domain: number;
  url: number;
}

/** Feeds are packed into 12 bits of the IPv4 sort key. */
export const MAX_FEEDS = 4096;

const TWO32 = 4294967296;

/** Interns feed lists so an indicator stores one number however many feeds list it. */
class FeedSets {
  readonly sets: number[][] = [];
  private readonly byKey = new Map<string, number>();
  private readonly step = new Map<string, number>();

  single(feed: number): number {
    return this.intern([feed]);
  }

  /** The set `set` ∪ {feed}. */
  with(set: number, feed: number): number {
    const k = `${set}|${feed}`;
    const memo = this.step.get(k);
    if (memo !== undefined) return memo;
    const cur = this.sets[set];
    const id = cur.includes(feed) ? set : this.intern([...cur, feed].sort((a, b) => a - b));
    this.step.set(k, id);
    return id;
  }

  private intern(list: number[]): number {
    const k = list.join(',');
    let id = this.byKey.get(k);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(list);
      this.byKey.set(k, id);
    }
    return id;
  }
}

interface V6Entry {
  text: string;
  set: number;
}

export class IndicatorIndexBuilder {
  private readonly feeds: FeedInfo[] = [];
  private readonly sets = new FeedSets();
  /** IPv4 as start·2^18 + prefix·2^12 + feed (exact in a double: 50 bits). */
  private v4 = new Float64Array(1 << 16);
  private v4Len = 0;
  private readonly v6 = new Map<number, Map<string, V6Entry>>();
  private readonly domains = new Map<string, number>();
  private readonly urls = new Map<string, number>();

  addFeed(info: FeedInfo): number {
    if (this.feeds.length >= MAX_FEEDS) throw new RangeError(`at most ${MAX_FEEDS} feeds`);
    this.feeds.push({ ...info });
    return this.feeds.length - 1;
  }

  /**
   * Adds one indicator of `kind` listed by `feed`. Returns null when taken, or the reason it
   * was refused (the caller counts and reports it: a bad line is never fatal).
   */
  add(feed: number, kind: IndicatorKind, raw: string): string | null {
    if (feed < 0 || feed >= this.feeds.length) return 'unknown feed';
    if (kind === 'ip') return this.addIp(feed, raw);
    if (kind === 'domain') {
      const d = normalizeDomain(raw);
      if (d === null) return 'not a domain name';
      this.domains.set(d, this.merge(this.domains.get(d), feed));
      return null;
    }
    const u = normalizeUrl(raw);
    if (u === null) return 'not an http(s) URL';
    this.urls.set(u, this.merge(this.urls.get(u), feed));
    return null;
  }

  private merge(set: number | undefined, feed: number): number {
    return set === undefined ? this.sets.single(feed) : this.sets.with(set, feed);
  }

  private addIp(feed: number, raw: string): string | null {
    const s = raw.trim();
    const slash = s.indexOf('/');
    const addr = slash < 0 ? s : s.slice(0, slash);
    const lenText = slash < 0 ? null : s.slice(slash + 1);
    if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return 'bad prefix length';
    const v4 = dottedQuad(addr);
    if (!Number.isNaN(v4)) {
      const len = lenText === null ? 32 : Number(lenText);
      if (len > 32) return 'IPv4 prefix length above 32';
      // Host bits set (10.1.2.3/8) are masked off, as Zeek's Intel::SUBNET and iptables do.
      const start = len === 0 ? 0 : (v4 - (v4 % 2 ** (32 - len))) >>> 0;
      if (this.v4Len === this.v4.length) {
        const bigger = new Float64Array(this.v4.length * 2);
        bigger.set(this.v4);
        this.v4 = bigger;
      }
      this.v4[this.v4Len++] = start * 262144 + len * 4096 + feed;
      return null;
    }
    const v6 = parseIPv6(addr);
    if (v6 === null) return 'not an IP address or CIDR';
    const len = lenText === null ? 128 : Number(lenText);
    if (len > 128) return 'IPv6 prefix length above 128';
    maskV6(v6, len);
    const key = v6Key(v6, len);
    let byLen = this.v6.get(len);
    if (byLen === undefined) {
      byLen = new Map();
      this.v6.set(len, byLen);
    }
    const text = formatIPv6(Buffer.from(v6.buffer, v6.byteOffset, 16), 0) + (len === 128 ? '' : `/${len}`);
    const cur = byLen.get(key);
    byLen.set(key, { text, set: this.merge(cur?.set, feed) });
    return null;
  }

  build(): IndicatorIndex {
    // ---- IPv4: sort (start, prefix, feed), merge duplicates, sweep into intervals ----
    const keys = this.v4.subarray(0, this.v4Len).slice().sort();
    this.v4 = new Float64Array(0);
    const n = keys.length;
    const indStart = new Uint32Array(n);
    const indPrefix = new Uint8Array(n);
    const indSet = new Int32Array(n);
    const parent = new Int32Array(n);
    let count = 0;
    let prevSp = -1;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const feed = k % 4096;
      const sp = (k - feed) / 4096; // start·64 + prefix
      if (sp === prevSp) {
        indSet[count - 1] = this.sets.with(indSet[count - 1], feed);
        continue;
      }
      prevSp = sp;
      const prefix = sp % 64;
      indStart[count] = (sp - prefix) / 64;
      indPrefix[count] = prefix;
      indSet[count] = this.sets.single(feed);
      count++;
    }
    // Elementary intervals: starts[i] .. starts[i+1]-1 is covered most specifically by payload[i].
    const starts = new Uint32Array(2 * count + 1);
    const payload = new Int32Array(2 * count + 1);
    let m = 0;
    const emit = (at: number, ind: number) => {
      if (m > 0 && starts[m - 1] === at) payload[m - 1] = ind;
      else {
        starts[m] = at;
        payload[m] = ind;
        m++;
      }
    };
    emit(0, -1);
    const stack: number[] = [];
    const endOf = (i: number) => indStart[i] + 2 ** (32 - indPrefix[i]) - 1;
    const popUntil = (limit: number) => {
      // Close every open range ending before `limit`; the enclosing one (or nothing) resumes.
      while (stack.length > 0 && endOf(stack[stack.length - 1]) < limit) {
        const top = stack.pop()!;
        const after = endOf(top) + 1;
        if (after < TWO32) emit(after, stack.length ? stack[stack.length - 1] : -1);
      }
    };
    for (let i = 0; i < count; i++) {
      popUntil(indStart[i]);
      parent[i] = stack.length ? stack[stack.length - 1] : -1;
      stack.push(i);
      emit(indStart[i], i);
    }
    popUntil(TWO32);
    const v4Starts = starts.slice(0, m);
    const v4Payload = payload.slice(0, m);
    // buckets[b] = first interval starting at or after b·2^16.
    const buckets = new Uint32Array(65537);
    let j = 0;
    for (let b = 0; b <= 65536; b++) {
      const at = b * 65536;
      while (j < m && v4Starts[j] < at) j++;
      buckets[b] = j;
    }
    // /24 presence bitmap (2 MiB): most addresses are in no listed /24, and one bit read answers
    // them without the binary search's cache misses.
    const v24 = new Int32Array(1 << 19);
    const setBits = (lo: number, hi: number) => {
      // bits lo..hi inclusive
      let b = lo;
      for (; b <= hi && (b & 31) !== 0; b++) v24[b >>> 5] |= 1 << (b & 31);
      for (; b + 31 <= hi; b += 32) v24[b >>> 5] = -1;
      for (; b <= hi; b++) v24[b >>> 5] |= 1 << (b & 31);
    };
    let cidr = 0;
    let coveredTo = -1; // nested ranges lie inside their parent: skip what is already set
    for (let i = 0; i < count; i++) {
      if (indPrefix[i] !== 32) cidr++;
      const lo = Math.floor(indStart[i] / 256);
      const hi = Math.floor(endOf(i) / 256);
      if (hi <= coveredTo) continue;
      setBits(Math.max(lo, coveredTo + 1), hi);
      coveredTo = hi;
    }
    let v6Count = 0;
    for (const byLen of this.v6.values()) v6Count += byLen.size;
    return new IndicatorIndex({
      feeds: this.feeds,
      sets: this.sets.sets,
      v4: {
        starts: v4Starts,
        payload: v4Payload,
        buckets,
        v24,
        indStart: indStart.slice(0, count),
        indPrefix: indPrefix.slice(0, count),
        indSet: indSet.slice(0, count),
        parent: parent.slice(0, count),
      },
      v6: this.v6,
      domains: this.domains,
      urls: this.urls,
      counts: { ipv4: count - cidr, ipv4Cidr: cidr, ipv6: v6Count, domain: this.domains.size, url: this.urls.size },
    });
  }
}

/** parseIPv4 without split or regex (a million of these make up most of a feed load). */
function dottedQuad(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return NaN;
  let out = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return NaN;
      out = out * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return NaN;
    } else return NaN;
  }
  if (dots !== 3 || digits === 0) return NaN;
  return out * 256 + part;
}

function maskV6(b: Uint8Array, len: number): void {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    b[i] &= keep === 8 ? 0xff : (0xff << (8 - keep)) & 0xff;
  }
}

function v6Key(b: Uint8Array, len: number): string {
  // Only the bytes the prefix covers: the rest are zero after masking.
  return Buffer.from(b.buffer, b.byteOffset, Math.ceil(len / 8)).toString('hex');
}

interface IndexParts {
  feeds: FeedInfo[];
  sets: number[][];
  v4: {
    starts: Uint32Array;
    payload: Int32Array;
    buckets: Uint32Array;
    v24: Int32Array;
    indStart: Uint32Array;
    indPrefix: Uint8Array;
    indSet: Int32Array;
    parent: Int32Array;
  };
  v6: Map<number, Map<string, V6Entry>>;
  domains: Map<string, number>;
  urls: Map<string, number>;
  counts: IndexCounts;
}

/** Most domain labels walked for parent matching (a name has at most 127). */
const MAX_LABELS = 128;

export class IndicatorIndex {
  readonly feeds: readonly FeedInfo[];
  readonly counts: Readonly<IndexCounts>;
  /** Which lookups can ever hit (the detector subscribes only to what can). */
  readonly hasIPv4: boolean;
  readonly hasIPv6: boolean;
  readonly hasDomains: boolean;
  readonly hasUrls: boolean;
  private readonly sets: number[][];
  private readonly starts: Uint32Array;
  private readonly payload: Int32Array;
  private readonly buckets: Uint32Array;
  private readonly v24: Int32Array;
  private readonly indStart: Uint32Array;
  private readonly indPrefix: Uint8Array;
  private readonly indSet: Int32Array;
  private readonly parent: Int32Array;
  /** Prefix lengths present, longest first, with their tables. */
  private readonly v6: Array<[number, Map<string, V6Entry>]>;
  private readonly domains: Map<string, number>;
  private readonly urls: Map<string, number>;

  constructor(p: IndexParts) {
    this.feeds = p.feeds;
    this.sets = p.sets;
    this.starts = p.v4.starts;
    this.payload = p.v4.payload;
    this.buckets = p.v4.buckets;
    this.v24 = p.v4.v24;
    this.indStart = p.v4.indStart;
    this.indPrefix = p.v4.indPrefix;
    this.indSet = p.v4.indSet;
    this.parent = p.v4.parent;
    this.v6 = [...p.v6.entries()].sort((a, b) => b[0] - a[0]);
    this.domains = p.domains;
    this.urls = p.urls;
    this.counts = p.counts;
    this.hasIPv4 = this.indStart.length > 0;
    this.hasIPv6 = p.counts.ipv6 > 0;
    this.hasDomains = p.domains.size > 0;
    this.hasUrls = p.urls.size > 0;
  }

  get size(): number {
    const c = this.counts;
    return c.ipv4 + c.ipv4Cidr + c.ipv6 + c.domain + c.url;
  }

  /** Feed indexes of an interned feed set. */
  feedSet(set: number): readonly number[] {
    return this.sets[set];
  }

  // ---- IPv4 (hot path) ----------------------------------------------------------------------

  /**
   * The most specific IPv4 indicator covering `addr` (unsigned 32-bit), or -1. Enclosing ones:
   * `v4Parent(id)` until -1.
   */
  lookupV4(addr: number): number {
    if ((this.v24[addr >>> 13] & (1 << ((addr >>> 8) & 31))) === 0) return -1;
    const b = addr >>> 16;
    const lo = this.buckets[b];
    let l = lo > 0 ? lo - 1 : 0;
    let h = this.buckets[b + 1] - 1;
    const s = this.starts;
    while (l < h) {
      const mid = (l + h + 1) >>> 1;
      if (s[mid] <= addr) l = mid;
      else h = mid - 1;
    }
    return this.payload[l];
  }

  v4Parent(id: number): number {
    return this.parent[id];
  }

  v4Hit(id: number): IndicatorHit {
    const len = this.indPrefix[id];
    const text = formatIPv4(this.indStart[id]);
    return { indicator: len === 32 ? text : `${text}/${len}`, kind: 'ip', feeds: this.sets[this.indSet[id]] };
  }

  /** Every IPv4 indicator covering `addr`, most specific first. */
  matchIPv4(addr: number): IndicatorHit[] {
    const out: IndicatorHit[] = [];
    for (let id = this.lookupV4(addr >>> 0); id >= 0; id = this.parent[id]) out.push(this.v4Hit(id));
    return out;
  }

  // ---- IPv6 -----------------------------------------------------------------------------------

  /** Every IPv6 indicator covering the 16 bytes at buf[off], most specific first. */
  matchIPv6(buf: Uint8Array, off: number): IndicatorHit[] {
    const out: IndicatorHit[] = [];
    if (this.v6.length === 0) return out;
    const full = Buffer.from(buf.buffer, buf.byteOffset + off, 16).toString('hex');
    for (const [len, table] of this.v6) {
      let key = full.slice(0, Math.ceil(len / 8) * 2);
      if (len & 7) {
        // Mask the partial byte's low bits.
        const byteAt = (len >> 3) * 2;
        const byte = parseInt(full.slice(byteAt, byteAt + 2), 16) & ((0xff << (8 - (len & 7))) & 0xff);
        key = key.slice(0, byteAt) + byte.toString(16).padStart(2, '0');
      }
      const e = table.get(key);
      if (e !== undefined) out.push({ indicator: e.text, kind: 'ip', feeds: this.sets[e.set] });
    }
    return out;
  }

  /** IP text (v4 or v6) → every indicator covering it; [] when it is not an address. */
  matchIpText(text: string): IndicatorHit[] {
    const v4 = parseIPv4(text);
    if (!Number.isNaN(v4)) return this.hasIPv4 ? this.matchIPv4(v4) : [];
    if (!this.hasIPv6) return [];
    const v6 = parseIPv6(text);
    return v6 === null ? [] : this.matchIPv6(v6, 0);
  }

  // ---- domains --------------------------------------------------------------------------------

  /**
   * Every listed domain equal to `name` or a parent of it, most specific first. `name` must be
   * in lookup form (lowercase, no trailing dot: see trafficName()).
   */
  matchDomain(name: string): IndicatorHit[] {
    const out: IndicatorHit[] = [];
    if (this.domains.size === 0 || name.length === 0) return out;
    let at = 0;
    for (let i = 0; i < MAX_LABELS; i++) {
      const suffix = at === 0 ? name : name.slice(at);
      const set = this.domains.get(suffix);
      if (set !== undefined) out.push({ indicator: suffix, kind: 'domain', feeds: this.sets[set] });
      const dot = name.indexOf('.', at);
      if (dot < 0) break;
      at = dot + 1;
    }
    return out;
  }

  // ---- URLs -----------------------------------------------------------------------------------

  /**
   * A request seen on the wire (Host header or server address, and the request target) →
   * listed URLs matching it exactly, or by host + path without the query.
   */
  matchRequest(host: string, target: string): IndicatorHit[] {
    const out: IndicatorHit[] = [];
    if (this.urls.size === 0) return out;
    let url: string | null;
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target)) url = normalizeUrl(target);
    else {
      const h = hostPort(host);
      if (h === null || !target.startsWith('/')) return out;
      url = normalizeUrl(`http://${h}${target}`);
    }
    if (url === null) return out;
    const exact = this.urls.get(url);
    if (exact !== undefined) out.push({ indicator: url, kind: 'url', feeds: this.sets[exact] });
    const q = url.indexOf('?');
    if (q >= 0) {
      const base = url.slice(0, q);
      const set = this.urls.get(base);
      if (set !== undefined) out.push({ indicator: base, kind: 'url', feeds: this.sets[set] });
    }
    return out;
  }
}
