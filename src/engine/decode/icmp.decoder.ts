import type { DecodedPacket } from './decoded-packet';

/**
 * ICMP (v4) or ICMPv6 header at buf[off]: type, code, checksum and the 4-byte rest-of-header
 * (8 bytes in all). Type and code are kept when at least they were captured.
 */
export function decodeIcmp(p: DecodedPacket, buf: Buffer, off: number, capEnd: number, v6: boolean): void {
  const have = capEnd - off;
  if (have >= 2) {
    p.icmpType = buf[off];
    p.icmpCode = buf[off + 1];
  }
  if (have < 8) {
    p.malformed = v6 ? 'icmpv6.truncated' : 'icmp.truncated';
    return;
  }
  p.l4Off = off;
  p.payloadOff = off + 8;
  p.payloadLen = have - 8;
}
