import type { DecodedPacket } from './decoded-packet';

/**
 * The window-scale shift (RFC 7323 §2.2) a SYN or SYN-ACK offers, or -1 when it offers none.
 * Shifts above 14 are treated as 14, as the RFC says.
 */
export function tcpWindowScale(p: DecodedPacket): number {
  if (p.tcpOptLen === 0) return -1;
  const b = p.l4Buf;
  let at = p.tcpOptOff;
  const end = at + p.tcpOptLen;
  while (at < end) {
    const kind = b[at];
    if (kind === 0) return -1;
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= end) return -1;
    const len = b[at + 1];
    if (len < 2 || at + len > end) return -1;
    if (kind === 3 && len === 3) return Math.min(b[at + 2], 14);
    at += len;
  }
  return -1;
}
