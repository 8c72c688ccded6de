import { u16, u32 } from './bytes';
import { IP_OPT, type DecodedPacket } from './decoded-packet';

/**
 * IPv4 header at buf[off]; `end` is the end of captured bytes, `cut` whether the snaplen cut the
 * record (then a total length beyond the captured bytes is expected, not an error).
 * Returns the offset of the layer-4 header, or -1 when the header itself is unusable.
 * A total length of 0 is what TSO/offload captures show: the captured length is used instead.
 */
export function decodeIpv4(p: DecodedPacket, buf: Buffer, off: number, end: number, cut: boolean): number {
  if (end - off < 20) {
    p.malformed = 'ipv4.truncated';
    return -1;
  }
  const b0 = buf[off];
  if (b0 >> 4 !== 4) {
    p.malformed = 'ipv4.bad-version';
    return -1;
  }
  p.ipVersion = 4;
  p.ipOff = off;
  p.src4 = u32(buf, off + 12);
  p.dst4 = u32(buf, off + 16);
  p.ttl = buf[off + 8];
  p.ipProto = buf[off + 9];
  p.ipId = u16(buf, off + 4);
  const hl = (b0 & 15) << 2;
  if (hl < 20) {
    p.malformed = 'ipv4.bad-ihl';
    return -1;
  }
  let total = u16(buf, off + 2);
  if (total === 0) total = end - off;
  if (total < hl) {
    p.malformed = 'ipv4.bad-total-length';
    return -1;
  }
  if (hl > end - off) {
    p.malformed = 'ipv4.truncated';
    return -1;
  }
  p.ipHeaderLen = hl;
  p.ipTotalLen = total;
  const ff = u16(buf, off + 6);
  p.dontFragment = (ff & 0x4000) !== 0;
  p.moreFragments = (ff & 0x2000) !== 0;
  p.fragOffset = (ff & 0x1fff) << 3;
  p.isFragment = p.moreFragments || p.fragOffset !== 0;
  if (hl > 20) parseOptions(p, buf, off + 20, off + hl);
  // Total length beyond an uncut record: the header lies (tshark flags it too); decode what is there.
  if (!cut && off + total > end && p.malformed === null) p.malformed = 'ipv4.bad-total-length';
  return off + hl;
}

/** Sets IP_OPT bits; a length byte that runs past the header marks 'ipv4.bad-options' and stops. */
function parseOptions(p: DecodedPacket, buf: Buffer, at: number, end: number): void {
  let flags = 0;
  while (at < end) {
    const type = buf[at];
    if (type === 0) break;
    if (type === 1) {
      at++;
      continue;
    }
    const len = at + 1 < end ? buf[at + 1] : 0;
    if (len < 2 || at + len > end) {
      p.malformed = 'ipv4.bad-options';
      break;
    }
    if (type === 131) flags |= IP_OPT.LSRR;
    else if (type === 137) flags |= IP_OPT.SSRR;
    else if (type === 7) flags |= IP_OPT.RR;
    else if (type === 68) flags |= IP_OPT.TS;
    else if (type === 130 || type === 134) flags |= IP_OPT.SECURITY;
    else flags |= IP_OPT.OTHER;
    at += len;
  }
  p.ipOptionFlags = flags;
}
