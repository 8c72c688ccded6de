/**
 * IPv4 / IPv6 fragment reassembly keyed by (version, src, dst, id, protocol).
 *
 * Bounded: datagrams in flight, bytes held in total and per datagram, fragments per datagram,
 * and a timeout in packet time (checked whenever a fragment arrives; the caps bound memory in
 * between). Overlaps are resolved "first wins" (bytes already held are kept) and reported on
 * the packet (p.malformed = 'fragment.overlap') and in the stats — conflicting overlaps are the
 * teardrop / evasion signal. Runs only for fragments, so it may allocate.
 */
import type { DecodedPacket } from './decoded-packet';
import type { DecodeStats } from './decode-stats';

export interface DefragOptions {
  /** Reassemble at all (default true). When false, fragments are counted and left undecoded. */
  enabled?: boolean;
  /** Seconds of packet time a datagram may stay incomplete (default 30, as Linux ipfrag_time). */
  timeoutSec?: number;
  /** Incomplete datagrams held at once (default 1024); the oldest is dropped to make room. */
  maxDatagrams?: number;
  /** Fragment bytes held over all datagrams (default 16 MiB). */
  maxBytes?: number;
  /** Fragments held per datagram (default 512): bounds the work per fragment. */
  maxFragmentsPerDatagram?: number;
}

/** Largest IP datagram: fragment data ending past this (plus the IPv4 header) is an attack. */
const MAX_DATAGRAM = 65535;

interface Piece {
  off: number;
  data: Buffer;
}

interface Pending {
  firstTime: number;
  /** Fragmentable-part length once the last fragment (MF = 0) was seen, else -1. */
  total: number;
  bytes: number;
  pieces: Piece[];
}

export interface DefragState {
  pending: Array<{ key: string; firstTime: number; total: number; pieces: Array<{ off: number; data: string }> }>;
}

export class IpDefragmenter {
  private readonly timeout: number;
  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly maxPieces: number;
  /** Insertion order = arrival order of each datagram's first fragment (expiry walks from the front). */
  private readonly pending = new Map<string, Pending>();
  private bytes = 0;

  constructor(
    opts: DefragOptions,
    private readonly stats: DecodeStats,
  ) {
    this.timeout = opts.timeoutSec ?? 30;
    this.maxDatagrams = Math.max(1, opts.maxDatagrams ?? 1024);
    this.maxBytes = Math.max(MAX_DATAGRAM, opts.maxBytes ?? 16 * 1024 * 1024);
    this.maxPieces = Math.max(2, opts.maxFragmentsPerDatagram ?? 512);
  }

  /** Datagrams currently waiting for fragments. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Adds the fragment whose data is buf[dataOff, dataEnd) (offset p.fragOffset in the datagram).
   * Returns the reassembled fragmentable part (IPv4: the transport header and payload; IPv6:
   * whatever followed the fragment header, starting with next header p.ipProto) when this
   * fragment completes the datagram, else null.
   */
  add(p: DecodedPacket, buf: Buffer, dataOff: number, dataEnd: number): Buffer | null {
    const now = p.time;
    this.expire(now);
    const len = dataEnd > dataOff ? dataEnd - dataOff : 0;
    const start = p.fragOffset;
    const end = start + len;
    if ((p.ipVersion === 4 ? p.ipHeaderLen : 0) + end > MAX_DATAGRAM) {
      this.stats.fragmentsTooLarge++;
      if (p.malformed === null) p.malformed = 'fragment.too-large';
      return null;
    }
    if (start === 0 && p.moreFragments && isTiny(p.ipProto, len)) this.stats.tinyFirstFragments++;

    const key = fragmentKey(p);
    let d = this.pending.get(key);
    if (d !== undefined && (d.pieces.length >= this.maxPieces || d.bytes + len > MAX_DATAGRAM + 60)) {
      // Far more fragments or bytes than any real datagram: give up on it rather than grow.
      this.drop(key, d);
      this.stats.fragmentEvictions++;
      return null;
    }
    this.makeRoom(len, d === undefined);
    d = this.pending.get(key); // makeRoom may have evicted it when it was the oldest
    if (d === undefined) {
      d = { firstTime: now, total: -1, bytes: 0, pieces: [] };
      this.pending.set(key, d);
    }

    let overlap = false;
    let conflict = false;
    for (let i = 0; i < d.pieces.length; i++) {
      const q = d.pieces[i];
      const qEnd = q.off + q.data.length;
      const s = start > q.off ? start : q.off;
      const e = end < qEnd ? end : qEnd;
      if (s >= e) continue;
      overlap = true;
      if (!conflict && buf.compare(q.data, s - q.off, e - q.off, dataOff + (s - start), dataOff + (e - start)) !== 0)
        conflict = true;
    }
    if (!p.moreFragments) {
      if (d.total >= 0 && d.total !== end) conflict = overlap = true;
      else d.total = end;
    } else if (d.total >= 0 && end > d.total) {
      conflict = overlap = true;
    }
    if (overlap) {
      this.stats.fragmentOverlaps++;
      if (conflict) this.stats.fragmentOverlapsConflicting++;
      if (p.malformed === null) p.malformed = 'fragment.overlap';
    }
    if (len > 0) {
      d.pieces.push({ off: start, data: Buffer.from(buf.subarray(dataOff, dataEnd)) });
      d.bytes += len;
      this.bytes += len;
    }
    if (d.total < 0) return null;
    const out = assemble(d);
    if (out !== null) {
      this.drop(key, d);
      this.stats.reassembled++;
    }
    return out;
  }

  snapshot(): DefragState {
    const pending: DefragState['pending'] = [];
    for (const [key, d] of this.pending) {
      pending.push({
        key,
        firstTime: d.firstTime,
        total: d.total,
        pieces: d.pieces.map((q) => ({ off: q.off, data: q.data.toString('base64') })),
      });
    }
    return { pending };
  }

  restore(s: DefragState): void {
    this.pending.clear();
    this.bytes = 0;
    for (const e of s?.pending ?? []) {
      const pieces = e.pieces.map((q) => ({ off: q.off, data: Buffer.from(q.data, 'base64') }));
      const bytes = pieces.reduce((n, q) => n + q.data.length, 0);
      this.pending.set(e.key, { firstTime: e.firstTime, total: e.total, bytes, pieces });
      this.bytes += bytes;
    }
  }

  private expire(now: number): void {
    for (const [key, d] of this.pending) {
      if (now - d.firstTime < this.timeout) break;
      this.drop(key, d);
      this.stats.fragmentTimeouts++;
    }
  }

  private makeRoom(incoming: number, isNew: boolean): void {
    for (const [key, d] of this.pending) {
      if ((!isNew || this.pending.size < this.maxDatagrams) && this.bytes + incoming <= this.maxBytes) break;
      this.drop(key, d);
      this.stats.fragmentEvictions++;
    }
  }

  private drop(key: string, d: Pending): void {
    this.pending.delete(key);
    this.bytes -= d.bytes;
  }
}

function fragmentKey(p: DecodedPacket): string {
  if (p.ipVersion === 4) return `4:${p.src4}:${p.dst4}:${p.ipId}:${p.ipProto}`;
  return `6:${p.buf.toString('hex', p.src6Off, p.src6Off + 16)}:${p.buf.toString('hex', p.dst6Off, p.dst6Off + 16)}:${p.ipId}:${p.ipProto}`;
}

/** RFC 1858: a first fragment that cannot hold the whole transport header. */
function isTiny(proto: number, len: number): boolean {
  return (proto === 6 && len < 20) || (proto === 17 && len < 8);
}

/** The datagram's bytes when fragments cover [0, total) without a hole, else null. First wins. */
function assemble(d: Pending): Buffer | null {
  const sorted = d.pieces.slice().sort((a, b) => a.off - b.off);
  let covered = 0;
  for (const q of sorted) {
    if (q.off > covered) return null;
    const e = q.off + q.data.length;
    if (e > covered) covered = e;
  }
  if (covered < d.total) return null;
  const out = Buffer.alloc(d.total);
  // Later arrivals first, so bytes that arrived earlier overwrite them.
  for (let i = d.pieces.length - 1; i >= 0; i--) {
    const q = d.pieces[i];
    if (q.off < d.total) q.data.copy(out, q.off, 0, Math.min(q.data.length, d.total - q.off));
  }
  return out;
}
