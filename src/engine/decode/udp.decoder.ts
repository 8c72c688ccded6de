import { u16 } from './bytes';
import type { DecodedPacket } from './decoded-packet';

/**
 * UDP header at buf[off]. The payload is what the UDP length says, cut to what was captured
 * (capEnd) — Ethernet padding after the datagram is not payload.
 */
export function decodeUdp(p: DecodedPacket, buf: Buffer, off: number, capEnd: number, declEnd: number): void {
  if (capEnd - off < 8) {
    // Ports alone still tie the packet to its flow (tshark shows them too); l4Off stays -1.
    if (capEnd - off >= 4) {
      p.srcPort = u16(buf, off);
      p.dstPort = u16(buf, off + 2);
    }
    p.malformed = 'udp.truncated';
    return;
  }
  p.l4Off = off;
  p.srcPort = u16(buf, off);
  p.dstPort = u16(buf, off + 2);
  const len = u16(buf, off + 4);
  p.payloadOff = off + 8;
  if (len < 8 || off + len > declEnd) {
    // Length field lies: keep the ports, give the captured remainder as payload.
    p.malformed = 'udp.bad-length';
    p.payloadLen = capEnd - off - 8;
    return;
  }
  const want = len - 8;
  const have = capEnd - off - 8;
  p.payloadLen = want < have ? want : have;
}
