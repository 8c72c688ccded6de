import { u16, u32 } from './bytes';
import type { DecodedPacket } from './decoded-packet';

/**
 * ARP for Ethernet/IPv4 (htype 1, ptype 0x0800, 6/4 address lengths). Other hardware or
 * protocol types are legal ARP we do not model: left undecoded, not malformed.
 */
export function decodeArp(p: DecodedPacket, buf: Buffer, off: number, end: number): void {
  if (end - off < 8) {
    p.malformed = 'arp.truncated';
    return;
  }
  if (u16(buf, off) !== 1 || u16(buf, off + 2) !== 0x0800 || buf[off + 4] !== 6 || buf[off + 5] !== 4) return;
  if (end - off < 28) {
    p.malformed = 'arp.truncated';
    return;
  }
  p.isArp = true;
  p.arpOp = u16(buf, off + 6);
  p.arpSenderMacOff = off + 8;
  p.arpSenderIp = u32(buf, off + 14);
  p.arpTargetMacOff = off + 18;
  p.arpTargetIp = u32(buf, off + 24);
}
