/**
 * Link-layer decoders. Each reads the link header at buf[off, end), records what it knows on the
 * packet (MACs, VLANs, EtherType) and returns the offset of the layer-3 header, or -1 when there
 * is no layer 3 to decode (p.malformed says whether that is a problem).
 */
import { u16, u32, u32le } from './bytes';
import type { DecodedPacket } from './decoded-packet';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard QinQ TPID still seen on switches
const ETHERTYPE_PPPOE_SESSION = 0x8864;

/** Tags beyond this are not followed (no real network stacks more; hostile frames might). */
export const MAX_VLAN_TAGS = 8;

export function decodeEthernet(p: DecodedPacket, buf: Buffer, off: number, end: number): number {
  if (end - off < 14) {
    p.malformed = 'link.truncated';
    return -1;
  }
  p.dstMacOff = off;
  p.srcMacOff = off + 6;
  let at = off + 12;
  let type = u16(buf, at);
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (p.vlanCount === MAX_VLAN_TAGS) return -1;
    if (end - at < 6) {
      p.malformed = 'vlan.truncated';
      return -1;
    }
    const vid = u16(buf, at + 2) & 0x0fff;
    if (p.vlanCount === 0) p.vlanOuter = vid;
    else if (p.vlanCount === 1) p.vlanInner = vid;
    p.vlanCount++;
    at += 4;
    type = u16(buf, at);
  }
  at += 2;
  if (type < 0x0600) return decodeLlc(p, buf, at, end);
  if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(p, buf, at, end);
  p.etherType = type;
  return at;
}

/**
 * 802.3 frame with a length field: only LLC/SNAP with the zero OUI carries an EtherType
 * (e.g. ARP over SNAP); plain LLC (STP, NetBIOS, ...) has no layer 3 for us. Not malformed.
 */
function decodeLlc(p: DecodedPacket, buf: Buffer, at: number, end: number): number {
  if (end - at < 8) return -1;
  if (buf[at] !== 0xaa || buf[at + 1] !== 0xaa || buf[at + 2] !== 0x03) return -1;
  if (buf[at + 3] !== 0 || buf[at + 4] !== 0 || buf[at + 5] !== 0) return -1;
  p.etherType = u16(buf, at + 6);
  return at + 8;
}

/** PPPoE session stage (RFC 2516): 6-byte PPPoE header, then the 2-byte PPP protocol. */
function decodePppoeSession(p: DecodedPacket, buf: Buffer, at: number, end: number): number {
  if (end - at < 8) {
    p.malformed = 'link.truncated';
    return -1;
  }
  const ppp = u16(buf, at + 6);
  if (ppp === 0x0021) p.etherType = ETHERTYPE_IPV4;
  else if (ppp === 0x0057) p.etherType = ETHERTYPE_IPV6;
  else return -1;
  return at + 8;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16-byte header, protocol at 14. */
export function decodeSll(p: DecodedPacket, buf: Buffer, off: number, end: number): number {
  if (end - off < 16) {
    p.malformed = 'link.truncated';
    return -1;
  }
  if (u16(buf, off + 4) === 6) p.srcMacOff = off + 6;
  return sllProtocol(p, u16(buf, off + 2), u16(buf, off + 14), off + 16);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20-byte header, protocol at 0. */
export function decodeSll2(p: DecodedPacket, buf: Buffer, off: number, end: number): number {
  if (end - off < 20) {
    p.malformed = 'link.truncated';
    return -1;
  }
  if (buf[off + 11] === 6) p.srcMacOff = off + 12;
  return sllProtocol(p, u16(buf, off + 8), u16(buf, off), off + 20);
}

/** SLL protocol values below 0x0600 are Linux-internal (802.2, CAN, ...), not EtherTypes. */
function sllProtocol(p: DecodedPacket, arphrd: number, proto: number, at: number): number {
  // ARPHRD_IPGRE (778) puts a GRE protocol type here, which is still an EtherType; fine.
  if (proto < 0x0600 || arphrd === 0xffff) return -1;
  p.etherType = proto;
  return at;
}

/**
 * BSD loopback (LINKTYPE_NULL, host byte order of the capturing machine, so accept both) and
 * OpenBSD loop (LINKTYPE_LOOP, network order). AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30
 * depending on the BSD.
 */
export function decodeNull(p: DecodedPacket, buf: Buffer, off: number, end: number, networkOrder: boolean): number {
  if (end - off < 4) {
    p.malformed = 'link.truncated';
    return -1;
  }
  let af = networkOrder ? u32(buf, off) : u32le(buf, off);
  if (!networkOrder && af > 0xffff) af = u32(buf, off);
  if (af === 2) p.etherType = ETHERTYPE_IPV4;
  else if (af === 24 || af === 28 || af === 30) p.etherType = ETHERTYPE_IPV6;
  else return -1;
  return off + 4;
}

/** Raw IP: the version nibble says which. */
export function decodeRawIp(p: DecodedPacket, buf: Buffer, off: number, end: number): number {
  if (end - off < 1) {
    p.malformed = 'link.truncated';
    return -1;
  }
  const v = buf[off] >> 4;
  if (v === 4) p.etherType = ETHERTYPE_IPV4;
  else if (v === 6) p.etherType = ETHERTYPE_IPV6;
  else {
    p.malformed = 'ipv4.bad-version';
    return -1;
  }
  return off;
}
