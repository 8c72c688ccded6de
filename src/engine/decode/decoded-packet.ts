/**
 * The decoded view of one packet. The decoder reuses ONE instance for every packet and only
 * stores numbers and offsets into `buf` (zero-copy); string forms of addresses are built lazily
 * by the helpers in `address.ts` and only when someone asks. Anything kept past the packet's
 * callback must be copied out.
 */

/** Which layer of the packet could not be decoded (first problem only); null when well-formed. */
export type MalformedReason =
  | 'link.truncated'
  | 'vlan.truncated'
  | 'arp.truncated'
  | 'ipv4.truncated'
  | 'ipv4.bad-version'
  | 'ipv4.bad-ihl'
  | 'ipv4.bad-total-length'
  | 'ipv4.bad-options'
  | 'ipv6.truncated'
  | 'ipv6.bad-version'
  | 'ipv6.bad-payload-length'
  | 'ipv6.bad-extension-header'
  | 'tcp.truncated'
  | 'tcp.bad-data-offset'
  | 'tcp.bad-options'
  | 'udp.truncated'
  | 'udp.bad-length'
  | 'icmp.truncated'
  | 'icmpv6.truncated'
  | 'fragment.overlap'
  | 'fragment.too-large';

/** Bits of DecodedPacket.ipOptionFlags. */
export const IP_OPT = {
  LSRR: 1, // loose source route (IPv4 option 131, IPv6 routing header type 0)
  SSRR: 2, // strict source route (IPv4 option 137)
  RR: 4, // record route (7)
  TS: 8, // timestamp (68)
  SECURITY: 16, // security / CIPSO (130, 134)
  OTHER: 32, // anything else (not NOP/EOL)
} as const;

/** TCP flag bits as in the header's flags byte (plus NS as 0x100). */
export const TCP = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
} as const;

export class DecodedPacket {
  // ---- record ----------------------------------------------------------------------------
  frame = 0;
  linkType = 0;
  interfaceId = 0;
  tsSec = 0;
  tsNsec = 0;
  /** Packet time in floating seconds since the epoch (what detectors use: packet time, never wall time). */
  time = 0;
  capLen = 0;
  origLen = 0;
  buf: Buffer = Buffer.alloc(0);
  /** Offset of the first byte of the packet in `buf`. */
  offset = 0;

  /** False when the link type is not one we decode (the packet is counted and skipped). */
  linkKnown = false;
  /** First problem found while decoding, or null. Decoding stops at the layer that failed. */
  malformed: MalformedReason | null = null;

  // ---- layer 2 ---------------------------------------------------------------------------
  /** Offsets of the 6-byte source / destination MAC in `buf`, or -1 when the link has none. */
  srcMacOff = -1;
  dstMacOff = -1;
  /** EtherType (or SLL protocol / AF mapped to an EtherType) of the layer-3 payload; 0 if none. */
  etherType = 0;
  /** Number of 802.1Q/802.1ad tags and the outermost two VLAN ids (0 when absent). */
  vlanCount = 0;
  vlanOuter = 0;
  vlanInner = 0;

  // ---- ARP (etherType 0x0806, Ethernet/IPv4 ARP only) -------------------------------------
  isArp = false;
  arpOp = 0;
  arpSenderMacOff = -1;
  arpTargetMacOff = -1;
  /** IPv4 addresses as unsigned 32-bit integers. */
  arpSenderIp = 0;
  arpTargetIp = 0;

  // ---- layer 3 ---------------------------------------------------------------------------
  /** 4, 6, or 0 when there is no IP layer. */
  ipVersion = 0;
  /** IPv4 source / destination as unsigned 32-bit integers (ipVersion 4). */
  src4 = 0;
  dst4 = 0;
  /** Offsets of the 16-byte IPv6 source / destination in `buf` (ipVersion 6), else -1. */
  src6Off = -1;
  dst6Off = -1;
  /** Offset of the IP header in `buf`. */
  ipOff = -1;
  ipHeaderLen = 0;
  /** IPv4 total length / IPv6 payload length + 40, as the header says. */
  ipTotalLen = 0;
  ttl = 0;
  ipId = 0;
  /** Final upper-layer protocol number (after IPv6 extension headers). */
  ipProto = 0;
  ipOptionFlags = 0;
  /** This packet is a fragment (MF set or offset > 0). */
  isFragment = false;
  fragOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /**
   * True when the layer-4 fields below come from a datagram the defragmenter reassembled
   * (this packet is its last fragment). `l4Buf` then points at the reassembled bytes.
   */
  reassembled = false;

  // ---- layer 4 ---------------------------------------------------------------------------
  /** Buffer that holds the layer-4 header and payload (`buf` unless reassembled). */
  l4Buf: Buffer = this.buf;
  /** Offset of the layer-4 header in `l4Buf`, or -1 when there is no decodable layer 4. */
  l4Off = -1;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  tcpHeaderLen = 0;
  /** Offset (in l4Buf) and length of the TCP options, 0 when none. */
  tcpOptOff = 0;
  tcpOptLen = 0;
  icmpType = -1;
  icmpCode = -1;
  /** Offset in `l4Buf` and length of the layer-4 payload actually captured. */
  payloadOff = 0;
  payloadLen = 0;

  /** Clear every field before the next packet is decoded (called by the decoder). */
  reset(): void {
    this.linkKnown = false;
    this.malformed = null;
    this.srcMacOff = -1;
    this.dstMacOff = -1;
    this.etherType = 0;
    this.vlanCount = 0;
    this.vlanOuter = 0;
    this.vlanInner = 0;
    this.isArp = false;
    this.arpOp = 0;
    this.arpSenderMacOff = -1;
    this.arpTargetMacOff = -1;
    this.arpSenderIp = 0;
    this.arpTargetIp = 0;
    this.ipVersion = 0;
    this.src4 = 0;
    this.dst4 = 0;
    this.src6Off = -1;
    this.dst6Off = -1;
    this.ipOff = -1;
    this.ipHeaderLen = 0;
    this.ipTotalLen = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.ipProto = 0;
    this.ipOptionFlags = 0;
    this.isFragment = false;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.dontFragment = false;
    this.reassembled = false;
    this.l4Buf = this.buf;
    this.l4Off = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpHeaderLen = 0;
    this.tcpOptOff = 0;
    this.tcpOptLen = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOff = 0;
    this.payloadLen = 0;
  }
}
