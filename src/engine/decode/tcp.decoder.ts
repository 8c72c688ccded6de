import { u16, u32 } from './bytes';
import type { DecodedPacket } from './decoded-packet';

/**
 * TCP header at buf[off]. `capEnd` is where captured bytes of this segment stop, `declEnd`
 * where the IP header says the segment stops (>= capEnd when the snaplen cut it). Ports, flags
 * and sequence numbers are kept even when the header turns out bad, so flows still match.
 */
export function decodeTcp(p: DecodedPacket, buf: Buffer, off: number, capEnd: number, declEnd: number): void {
  if (capEnd - off < 20) {
    // Ports alone still tie the packet to its flow (tshark shows them too); l4Off stays -1.
    if (capEnd - off >= 4) {
      p.srcPort = u16(buf, off);
      p.dstPort = u16(buf, off + 2);
    }
    p.malformed = 'tcp.truncated';
    return;
  }
  p.l4Off = off;
  p.srcPort = u16(buf, off);
  p.dstPort = u16(buf, off + 2);
  p.tcpSeq = u32(buf, off + 4);
  p.tcpAck = u32(buf, off + 8);
  const b12 = buf[off + 12];
  p.tcpFlags = ((b12 & 1) << 8) | buf[off + 13];
  p.tcpWindow = u16(buf, off + 14);
  const hl = (b12 >> 4) << 2;
  if (hl < 20 || off + hl > declEnd) {
    p.malformed = 'tcp.bad-data-offset';
    return;
  }
  if (off + hl > capEnd) {
    p.malformed = 'tcp.truncated';
    return;
  }
  p.tcpHeaderLen = hl;
  if (hl > 20) {
    p.tcpOptOff = off + 20;
    p.tcpOptLen = hl - 20;
    if (!tcpOptionsValid(buf, off + 20, off + hl)) p.malformed = 'tcp.bad-options';
  }
  p.payloadOff = off + hl;
  p.payloadLen = capEnd - off - hl;
}

/** Every option's length byte stays within the header (kind 0 ends the list, 1 is a pad). */
function tcpOptionsValid(buf: Buffer, at: number, end: number): boolean {
  while (at < end) {
    const kind = buf[at];
    if (kind === 0) return true;
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= end) return false;
    const len = buf[at + 1];
    if (len < 2 || at + len > end) return false;
    at += len;
  }
  return true;
}
