import { u16, u32 } from './bytes';
import { IP_OPT, type DecodedPacket } from './decoded-packet';

const NH_HOPOPTS = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51;
const NH_DSTOPTS = 60;
const NH_MOBILITY = 135;
const NH_HIP = 139;
const NH_SHIM6 = 140;

/** Extension headers followed per packet; more is hostile (RFC 8200 allows each about once). */
export const MAX_IPV6_EXT_HEADERS = 16;

/**
 * IPv6 header at buf[off]. Returns the offset of the upper-layer header (p.ipProto says which),
 * or -1. A payload length of 0 (jumbogram or offload capture) means "the captured length".
 * For a fragment, stops after the fragment header with p.ipProto = its next header.
 */
export function decodeIpv6(p: DecodedPacket, buf: Buffer, off: number, end: number, cut: boolean): number {
  if (end - off < 40) {
    p.malformed = 'ipv6.truncated';
    return -1;
  }
  if (buf[off] >> 4 !== 6) {
    p.malformed = 'ipv6.bad-version';
    return -1;
  }
  p.ipVersion = 6;
  p.ipOff = off;
  p.src6Off = off + 8;
  p.dst6Off = off + 24;
  p.ttl = buf[off + 7];
  const plen = u16(buf, off + 4);
  const total = plen === 0 ? end - off : plen + 40;
  p.ipTotalLen = total;
  const declEnd = off + total;
  const at = walkIpv6Extensions(p, buf, off + 40, declEnd < end ? declEnd : end, declEnd, buf[off + 6], false);
  if (at >= 0) p.ipHeaderLen = at - off;
  // Payload length beyond an uncut record: the header lies; decode what is there.
  if (!cut && declEnd > end && p.malformed === null) p.malformed = 'ipv6.bad-payload-length';
  return at;
}

/**
 * Follows the extension-header chain starting with next-header `nh` at buf[at]. Also used on a
 * reassembled IPv6 payload (`reassembled`: a second fragment header there is invalid).
 */
export function walkIpv6Extensions(
  p: DecodedPacket,
  buf: Buffer,
  at: number,
  capEnd: number,
  declEnd: number,
  nh: number,
  reassembled: boolean,
): number {
  for (let n = 0; ; n++) {
    if (
      nh !== NH_HOPOPTS &&
      nh !== NH_ROUTING &&
      nh !== NH_FRAGMENT &&
      nh !== NH_DSTOPTS &&
      nh !== NH_AH &&
      nh !== NH_MOBILITY &&
      nh !== NH_HIP &&
      nh !== NH_SHIM6
    ) {
      p.ipProto = nh;
      return at;
    }
    if (n === MAX_IPV6_EXT_HEADERS || (nh === NH_FRAGMENT && reassembled)) {
      p.ipProto = nh;
      p.malformed = 'ipv6.bad-extension-header';
      return -1;
    }
    if (capEnd - at < 8) return extFail(p, nh, at + 8 > declEnd);
    const len = nh === NH_FRAGMENT ? 8 : nh === NH_AH ? (buf[at + 1] + 2) << 2 : (buf[at + 1] + 1) << 3;
    if (at + len > capEnd) return extFail(p, nh, at + len > declEnd);
    if (nh === NH_ROUTING && buf[at + 2] === 0) p.ipOptionFlags |= IP_OPT.LSRR;
    if (nh === NH_FRAGMENT) {
      const fo = u16(buf, at + 2);
      p.fragOffset = fo & 0xfff8;
      p.moreFragments = (fo & 1) !== 0;
      p.ipId = u32(buf, at + 4);
      p.ipProto = buf[at];
      // An atomic fragment (offset 0, no MF; RFC 6946) is a whole datagram: keep decoding.
      if (p.fragOffset !== 0 || p.moreFragments) {
        p.isFragment = true;
        return at + 8;
      }
    }
    nh = buf[at];
    at += len;
  }
}

function extFail(p: DecodedPacket, nh: number, beyondDeclared: boolean): number {
  p.ipProto = nh;
  p.malformed = beyondDeclared ? 'ipv6.bad-extension-header' : 'ipv6.truncated';
  return -1;
}
