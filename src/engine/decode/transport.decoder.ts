import type { DecodedPacket } from './decoded-packet';
import { decodeIcmp } from './icmp.decoder';
import { decodeTcp } from './tcp.decoder';
import { decodeUdp } from './udp.decoder';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/**
 * Layer 4 of an unfragmented (or reassembled) datagram, in p.l4Buf. Protocols we do not decode
 * (GRE, SCTP, ESP, ...) keep l4Off = -1 and expose the IP payload as payload.
 */
export function decodeTransport(
  p: DecodedPacket,
  buf: Buffer,
  off: number,
  capEnd: number,
  declEnd: number,
  proto: number,
): void {
  if (proto === IPPROTO_TCP) decodeTcp(p, buf, off, capEnd, declEnd);
  else if (proto === IPPROTO_UDP) decodeUdp(p, buf, off, capEnd, declEnd);
  else if (proto === IPPROTO_ICMP) decodeIcmp(p, buf, off, capEnd, false);
  else if (proto === IPPROTO_ICMPV6) decodeIcmp(p, buf, off, capEnd, true);
  else {
    p.payloadOff = off;
    p.payloadLen = capEnd > off ? capEnd - off : 0;
  }
}
