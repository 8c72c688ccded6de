import { u16, u32 } from './bytes';
import type { DecodedPacket } from './decoded-packet';
import { formatIPv6 } from './address';

/**
 * The datagram an ICMP / ICMPv6 error message quotes (RFC 792: the original IP header plus at
 * least 8 bytes of its payload; RFC 4443 §3: as much of the invoking packet as fits). Detectors use
 * it to tie an error (e.g. "port unreachable") to the probe that caused it.
 */
export interface IcmpQuote {
  ipVersion: 4 | 6;
  proto: number;
  /** IPv4 addresses as unsigned 32-bit numbers (ipVersion 4). */
  src4: number;
  dst4: number;
  /** IPv6 addresses as text (ipVersion 6), else ''. */
  src6: string;
  dst6: string;
  /** Ports of a quoted TCP/UDP header; -1 when not quoted. */
  srcPort: number;
  dstPort: number;
}

/** Destination unreachable (v4 type 3, v6 type 1) and time exceeded are the errors that quote. */
export function isIcmpError(p: DecodedPacket): boolean {
  if (p.ipProto === 1) return p.icmpType === 3 || p.icmpType === 11 || p.icmpType === 12;
  if (p.ipProto === 58) return p.icmpType >= 1 && p.icmpType <= 4;
  return false;
}

/** Reads the quoted datagram of an ICMP error packet into `out`; false when it does not fit. */
export function readIcmpQuote(p: DecodedPacket, out: IcmpQuote): boolean {
  if (p.l4Off < 0 || !isIcmpError(p)) return false;
  const b = p.l4Buf;
  const at = p.payloadOff;
  const end = at + p.payloadLen;
  if (end - at < 1) return false;
  const v = b[at] >> 4;
  let l4: number;
  if (p.ipProto === 1) {
    if (v !== 4 || end - at < 20) return false;
    const ihl = (b[at] & 15) * 4;
    if (ihl < 20 || end - at < ihl) return false;
    out.ipVersion = 4;
    out.proto = b[at + 9];
    out.src4 = u32(b, at + 12);
    out.dst4 = u32(b, at + 16);
    out.src6 = '';
    out.dst6 = '';
    // A non-first fragment quotes no transport header.
    if ((u16(b, at + 6) & 0x1fff) !== 0) {
      out.srcPort = out.dstPort = -1;
      return true;
    }
    l4 = at + ihl;
  } else {
    if (v !== 6 || end - at < 40) return false;
    out.ipVersion = 6;
    out.proto = b[at + 6];
    out.src4 = 0;
    out.dst4 = 0;
    out.src6 = formatIPv6(b, at + 8);
    out.dst6 = formatIPv6(b, at + 24);
    l4 = at + 40;
  }
  if ((out.proto === 6 || out.proto === 17) && end - l4 >= 4) {
    out.srcPort = u16(b, l4);
    out.dstPort = u16(b, l4 + 2);
  } else {
    out.srcPort = out.dstPort = -1;
  }
  return true;
}

export function newIcmpQuote(): IcmpQuote {
  return { ipVersion: 4, proto: 0, src4: 0, dst4: 0, src6: '', dst6: '', srcPort: -1, dstPort: -1 };
}
