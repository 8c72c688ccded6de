import type { DecodedPacket } from '../decode/decoded-packet';

/**
 * Canonical 4-tuple key of a TCP/UDP packet, built once per packet as a short string of 16-bit
 * char codes (6 for IPv4, 18 for IPv6) so both directions of a connection map to the same key
 * without formatting addresses as text. The lower (address, port) endpoint comes first.
 *
 * `srcIsLow` reports, for the packet just keyed, whether its source is that first endpoint; it
 * is a reused out-value instead of a returned object so keying allocates only the string.
 */
export class FlowKeyBuilder {
  srcIsLow = false;
  /** IPv4 canonical tuple of the packet passed to key4(): addresses as int32, low endpoint first. */
  lowIp = 0;
  lowPort = 0;
  highIp = 0;
  highPort = 0;

  /** The IPv4 key as numbers (no string): same order and srcIsLow as build(). */
  key4(p: DecodedPacket): void {
    const s = p.src4 >>> 0;
    const d = p.dst4 >>> 0;
    const sp = p.srcPort;
    const dp = p.dstPort;
    const low = s < d || (s === d && sp <= dp);
    this.srcIsLow = low;
    if (low) {
      this.lowIp = s | 0;
      this.lowPort = sp;
      this.highIp = d | 0;
      this.highPort = dp;
    } else {
      this.lowIp = d | 0;
      this.lowPort = dp;
      this.highIp = s | 0;
      this.highPort = sp;
    }
  }

  build(p: DecodedPacket): string {
    if (p.ipVersion === 4) return this.build4(p.src4 >>> 0, p.srcPort, p.dst4 >>> 0, p.dstPort);
    return this.build6(p.buf, p.src6Off, p.srcPort, p.dst6Off, p.dstPort);
  }

  private build4(s: number, sp: number, d: number, dp: number): string {
    const low = s < d || (s === d && sp <= dp);
    this.srcIsLow = low;
    if (low) return String.fromCharCode(s >>> 16, s & 0xffff, sp, d >>> 16, d & 0xffff, dp);
    return String.fromCharCode(d >>> 16, d & 0xffff, dp, s >>> 16, s & 0xffff, sp);
  }

  private build6(b: Buffer, so: number, sp: number, dOff: number, dp: number): string {
    let cmp = 0;
    for (let i = 0; i < 16 && cmp === 0; i++) cmp = b[so + i] - b[dOff + i];
    const low = cmp < 0 || (cmp === 0 && sp <= dp);
    this.srcIsLow = low;
    const lo = low ? so : dOff;
    const hi = low ? dOff : so;
    return String.fromCharCode(
      b.readUInt16BE(lo),
      b.readUInt16BE(lo + 2),
      b.readUInt16BE(lo + 4),
      b.readUInt16BE(lo + 6),
      b.readUInt16BE(lo + 8),
      b.readUInt16BE(lo + 10),
      b.readUInt16BE(lo + 12),
      b.readUInt16BE(lo + 14),
      low ? sp : dp,
      b.readUInt16BE(hi),
      b.readUInt16BE(hi + 2),
      b.readUInt16BE(hi + 4),
      b.readUInt16BE(hi + 6),
      b.readUInt16BE(hi + 8),
      b.readUInt16BE(hi + 10),
      b.readUInt16BE(hi + 12),
      b.readUInt16BE(hi + 14),
      low ? dp : sp,
    );
  }
}

/** The string build() gives for an IPv4 key held as numbers (for snapshots). */
export function key4ToString(a: number, ap: number, b: number, bp: number): string {
  return String.fromCharCode(a >>> 16, a & 0xffff, ap, b >>> 16, b & 0xffff, bp);
}

/** Keys hold lone surrogates; snapshots carry them as hex so any codec round-trips them. */
export function keyToHex(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) out += key.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

export function keyFromHex(hex: string): string {
  let out = '';
  for (let i = 0; i + 4 <= hex.length; i += 4) out += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
  return out;
}
