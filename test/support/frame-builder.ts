/**
 * Builders for synthetic frames in tests. Each returns a fresh Buffer; compose them inside-out:
 *   ethernet({ src, dst, etherType: 0x0800 }, ipv4({ src, dst, proto: 6 }, tcp({ ... }, payload)))
 * Addresses are given as text ('10.0.0.1', '2001:db8::1', 'aa:bb:cc:dd:ee:ff').
 * Checksums: IPv4 header and ICMP/ICMPv6 are correct; TCP/UDP checksums are correct when the
 * layer is built through `ipv4`/`ipv6` with `fixL4Checksum: true` (pseudo-header uses the header's
 * destination, so source-routed packets get a checksum tshark calls wrong; decoders do not verify).
 */

export const ETH = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IPPROTO = {
  HOPOPT: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;
/** IPv4 flag bits as they sit in the 3-bit flags field. */
export const IPFLAG = { DF: 2, MF: 1 } as const;
export const TCPF = {
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

const EMPTY = Buffer.alloc(0);

export function mac(s: string): Buffer {
  const parts = s.split(':');
  if (parts.length !== 6) throw new Error(`bad MAC ${s}`);
  return Buffer.from(parts.map((h) => parseInt(h, 16)));
}

export function ip4(s: string): Buffer {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !(n >= 0 && n <= 255))) throw new Error(`bad IPv4 ${s}`);
  return Buffer.from(parts);
}

export function ip6(s: string): Buffer {
  const out = Buffer.alloc(16);
  let text = s;
  let tail4: Buffer | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = ip4(text.slice(lastColon + 1));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 ${s}`);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail4) tail4.copy(out, 12);
  return out;
}

/** Internet checksum (RFC 1071) over the concatenation of the given buffers. */
export function inetChecksum(...bufs: Buffer[]): number {
  const all = Buffer.concat(bufs);
  let sum = 0;
  for (let i = 0; i + 1 < all.length; i += 2) sum += all.readUInt16BE(i);
  if (all.length & 1) sum += all[all.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- layer 2 ------------------------------------------------------------------------------

export interface EthernetOpts {
  src: string;
  dst: string;
  etherType: number;
  /** VLAN ids, outermost first. */
  vlan?: number[];
  /** TPID per tag (default 0x8100 each; use 0x88a8 for an 802.1ad outer tag). */
  vlanTpid?: number[];
  /** Priority code point per tag (default 0). */
  vlanPcp?: number[];
}

export function ethernet(o: EthernetOpts, payload: Buffer = EMPTY): Buffer {
  const tags = o.vlan ?? [];
  const hdr = Buffer.alloc(14 + 4 * tags.length);
  mac(o.dst).copy(hdr, 0);
  mac(o.src).copy(hdr, 6);
  let off = 12;
  tags.forEach((vid, i) => {
    hdr.writeUInt16BE(o.vlanTpid?.[i] ?? ETH.VLAN, off);
    hdr.writeUInt16BE((((o.vlanPcp?.[i] ?? 0) & 7) << 13) | (vid & 0xfff), off + 2);
    off += 4;
  });
  hdr.writeUInt16BE(o.etherType, off);
  return Buffer.concat([hdr, payload]);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113). */
export function sll(
  o: { protocol: number; packetType?: number; arpHrd?: number; addr?: string },
  payload: Buffer,
): Buffer {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16BE(o.packetType ?? 0, 0);
  hdr.writeUInt16BE(o.arpHrd ?? 1, 2);
  const a = o.addr ? mac(o.addr) : EMPTY;
  hdr.writeUInt16BE(a.length, 4);
  a.copy(hdr, 6);
  hdr.writeUInt16BE(o.protocol, 14);
  return Buffer.concat([hdr, payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276). */
export function sll2(
  o: { protocol: number; ifIndex?: number; packetType?: number; arpHrd?: number; addr?: string },
  payload: Buffer,
): Buffer {
  const hdr = Buffer.alloc(20);
  hdr.writeUInt16BE(o.protocol, 0);
  hdr.writeUInt32BE(o.ifIndex ?? 1, 4);
  hdr.writeUInt16BE(o.arpHrd ?? 1, 8);
  hdr[10] = o.packetType ?? 0;
  const a = o.addr ? mac(o.addr) : EMPTY;
  hdr[11] = a.length;
  a.copy(hdr, 12);
  return Buffer.concat([hdr, payload]);
}

/** BSD loopback / null header: 4-byte address family, little-endian (DLT_NULL as written on x86) unless bigEndian. */
export function nullLink(af: number, payload: Buffer, bigEndian = false): Buffer {
  const hdr = Buffer.alloc(4);
  if (bigEndian) hdr.writeUInt32BE(af, 0);
  else hdr.writeUInt32LE(af, 0);
  return Buffer.concat([hdr, payload]);
}

export function arp(o: {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(ETH.IPV4, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op, 6);
  mac(o.senderMac).copy(b, 8);
  ip4(o.senderIp).copy(b, 14);
  mac(o.targetMac).copy(b, 18);
  ip4(o.targetIp).copy(b, 24);
  return b;
}

// ---- layer 3 ------------------------------------------------------------------------------

export interface Ipv4Opts {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  tos?: number;
  /** 3-bit flags field (IPFLAG.DF | IPFLAG.MF). */
  flags?: number;
  /** Fragment offset in BYTES (must be a multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes; padded with EOL to a multiple of 4. */
  options?: Buffer;
  /** Override the total-length field (default: header + payload). */
  totalLength?: number;
  /** Recompute the TCP/UDP checksum of the payload with the IPv4 pseudo-header. */
  fixL4Checksum?: boolean;
}

export function ipv4(o: Ipv4Opts, payload: Buffer = EMPTY): Buffer {
  const opt = o.options ?? EMPTY;
  const optLen = (opt.length + 3) & ~3;
  const hl = 20 + optLen;
  const hdr = Buffer.alloc(hl);
  hdr[0] = 0x40 | (hl >> 2);
  hdr[1] = o.tos ?? 0;
  hdr.writeUInt16BE(o.totalLength ?? hl + payload.length, 2);
  hdr.writeUInt16BE(o.id ?? 0, 4);
  hdr.writeUInt16BE(((o.flags ?? 0) << 13) | (((o.fragOffset ?? 0) >> 3) & 0x1fff), 6);
  hdr[8] = o.ttl ?? 64;
  hdr[9] = o.proto;
  ip4(o.src).copy(hdr, 12);
  ip4(o.dst).copy(hdr, 16);
  opt.copy(hdr, 20);
  hdr.writeUInt16BE(inetChecksum(hdr), 10);
  const body = Buffer.from(payload);
  if (o.fixL4Checksum)
    fixChecksum(body, o.proto, Buffer.concat([ip4(o.src), ip4(o.dst), u8(0), u8(o.proto), u16(body.length)]));
  return Buffer.concat([hdr, body]);
}

/** Loose source route option (type 131) with the given route addresses. */
export function lsrrOption(route: string[], pointer = 4): Buffer {
  const b = Buffer.alloc(3 + 4 * route.length);
  b[0] = 131;
  b[1] = b.length;
  b[2] = pointer;
  route.forEach((a, i) => ip4(a).copy(b, 3 + 4 * i));
  return b;
}

/** One IPv6 extension header: `type` is its protocol number; `body` follows the next-header/length bytes. */
export interface Ipv6Ext {
  type: number;
  body: Buffer;
}

export interface Ipv6Opts {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers. */
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: Ipv6Ext[];
  /** Override the payload-length field. */
  payloadLength?: number;
  fixL4Checksum?: boolean;
}

export function ipv6(o: Ipv6Opts, payload: Buffer = EMPTY): Buffer {
  const exts = o.ext ?? [];
  const extBufs = exts.map((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.nextHeader;
    if (e.type === IPPROTO.IPV6_FRAG) {
      const b = Buffer.alloc(8);
      b[0] = next;
      e.body.copy(b, 2, 0, 6);
      return b;
    }
    if (e.type === IPPROTO.AH) {
      const len = (2 + e.body.length + 3) & ~3;
      const b = Buffer.alloc(len);
      b[0] = next;
      b[1] = len / 4 - 2;
      e.body.copy(b, 2);
      return b;
    }
    const len = (2 + e.body.length + 7) & ~7;
    const b = Buffer.alloc(len);
    b[0] = next;
    b[1] = len / 8 - 1;
    e.body.copy(b, 2);
    return b;
  });
  const ext = Buffer.concat(extBufs);
  const hdr = Buffer.alloc(40);
  hdr.writeUInt32BE(((6 << 28) | ((o.trafficClass ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  hdr.writeUInt16BE(o.payloadLength ?? ext.length + payload.length, 4);
  hdr[6] = exts.length ? exts[0].type : o.nextHeader;
  hdr[7] = o.hopLimit ?? 64;
  ip6(o.src).copy(hdr, 8);
  ip6(o.dst).copy(hdr, 24);
  const body = Buffer.from(payload);
  if (o.fixL4Checksum)
    fixChecksum(
      body,
      o.nextHeader,
      Buffer.concat([ip6(o.src), ip6(o.dst), u32(body.length), Buffer.from([0, 0, 0, o.nextHeader])]),
    );
  return Buffer.concat([hdr, ext, body]);
}

/** IPv6 fragment extension header. `offset` in BYTES (multiple of 8). */
export function ipv6Fragment(o: { offset: number; more: boolean; id: number }): Ipv6Ext {
  const body = Buffer.alloc(6);
  body.writeUInt16BE((o.offset & 0xfff8) | (o.more ? 1 : 0), 0);
  body.writeUInt32BE(o.id >>> 0, 2);
  return { type: IPPROTO.IPV6_FRAG, body };
}

/** IPv6 routing header (type 0 by default) listing the given addresses. */
export function ipv6Routing(addrs: string[], routingType = 0, segmentsLeft = addrs.length): Ipv6Ext {
  const body = Buffer.alloc(6 + 16 * addrs.length);
  body[0] = routingType;
  body[1] = segmentsLeft;
  addrs.forEach((a, i) => ip6(a).copy(body, 6 + 16 * i));
  return { type: IPPROTO.IPV6_ROUTE, body };
}

/** Hop-by-hop (0) or destination options (60) header filled with PadN. */
export function ipv6Options(type: 0 | 60, bodyLen = 6): Ipv6Ext {
  const body = Buffer.alloc(bodyLen);
  if (bodyLen >= 2) {
    body[0] = 1; // PadN
    body[1] = bodyLen - 2;
  }
  return { type, body };
}

// ---- layer 4 ------------------------------------------------------------------------------

export interface TcpOpts {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Flag bits (TCPF.*), NS included as 0x100. */
  flags: number;
  window?: number;
  urgent?: number;
  /** Raw option bytes; padded with EOL to a multiple of 4. */
  options?: Buffer;
  /** Override the data-offset nibble (in 32-bit words). */
  dataOffset?: number;
}

export function tcp(o: TcpOpts, payload: Buffer = EMPTY): Buffer {
  const opt = o.options ?? EMPTY;
  const hl = 20 + ((opt.length + 3) & ~3);
  const hdr = Buffer.alloc(hl);
  hdr.writeUInt16BE(o.sport, 0);
  hdr.writeUInt16BE(o.dport, 2);
  hdr.writeUInt32BE(o.seq >>> 0, 4);
  hdr.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  hdr[12] = ((o.dataOffset ?? hl >> 2) << 4) | ((o.flags >> 8) & 1);
  hdr[13] = o.flags & 0xff;
  hdr.writeUInt16BE(o.window ?? 65535, 14);
  hdr.writeUInt16BE(o.urgent ?? 0, 18);
  opt.copy(hdr, 20);
  return Buffer.concat([hdr, payload]);
}

export function udp(o: { sport: number; dport: number; length?: number }, payload: Buffer = EMPTY): Buffer {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt16BE(o.sport, 0);
  hdr.writeUInt16BE(o.dport, 2);
  hdr.writeUInt16BE(o.length ?? 8 + payload.length, 4);
  return Buffer.concat([hdr, payload]);
}

/** ICMPv4 message; `rest` is the 4 bytes after the checksum (id/seq for echo). */
export function icmp(o: { type: number; code?: number; rest?: number }, payload: Buffer = EMPTY): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), payload]);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  b.writeUInt32BE((o.rest ?? 0) >>> 0, 4);
  b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/** ICMPv6 message (checksum left 0 unless built through ipv6 with fixL4Checksum). */
export function icmpv6(o: { type: number; code?: number; rest?: number }, payload: Buffer = EMPTY): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), payload]);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  b.writeUInt32BE((o.rest ?? 0) >>> 0, 4);
  return b;
}

// ---- capture files ------------------------------------------------------------------------

export interface PcapFileOpts {
  linkType: number;
  snaplen?: number;
  nanos?: boolean;
  bigEndian?: boolean;
  /** First timestamp in seconds (default 1_700_000_000) and step between packets (default 1 ms). */
  start?: number;
  step?: number;
}

/** A classic pcap file holding the given frames (optionally cut to snaplen, keeping origLen). */
export function pcapFile(frames: Buffer[], o: PcapFileOpts): Buffer {
  const be = o.bigEndian ?? false;
  const w32 = (b: Buffer, v: number, off: number) =>
    be ? b.writeUInt32BE(v >>> 0, off) : b.writeUInt32LE(v >>> 0, off);
  const w16 = (b: Buffer, v: number, off: number) => (be ? b.writeUInt16BE(v, off) : b.writeUInt16LE(v, off));
  const snap = o.snaplen ?? 262144;
  const gh = Buffer.alloc(24);
  w32(gh, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(gh, 2, 4);
  w16(gh, 4, 6);
  w32(gh, snap, 16);
  w32(gh, o.linkType, 20);
  const parts: Buffer[] = [gh];
  const start = o.start ?? 1_700_000_000;
  const step = o.step ?? 0.001;
  frames.forEach((f, i) => {
    const t = start + i * step;
    const sec = Math.floor(t);
    const frac = Math.round((t - sec) * (o.nanos ? 1e9 : 1e6));
    const cap = Math.min(f.length, snap);
    const rh = Buffer.alloc(16);
    w32(rh, sec, 0);
    w32(rh, frac, 4);
    w32(rh, cap, 8);
    w32(rh, f.length, 12);
    parts.push(rh, f.subarray(0, cap));
  });
  return Buffer.concat(parts);
}

// ---- internals ----------------------------------------------------------------------------

function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}
function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff, 0);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

function fixChecksum(body: Buffer, proto: number, pseudo: Buffer): void {
  const at = proto === IPPROTO.TCP ? 16 : proto === IPPROTO.UDP ? 6 : proto === IPPROTO.ICMPV6 ? 2 : -1;
  if (at < 0 || body.length < at + 2) return;
  body.writeUInt16BE(0, at);
  let c = inetChecksum(pseudo, body);
  if (proto === IPPROTO.UDP && c === 0) c = 0xffff;
  body.writeUInt16BE(c, at);
}

// ---- records ------------------------------------------------------------------------------

export interface RecordOpts {
  linkType?: number;
  frame?: number;
  /** Packet time in seconds (default 1_700_000_000). */
  time?: number;
  /** Bytes on the wire when the snaplen cut the frame (default: frame length). */
  origLen?: number;
}

/**
 * A PacketRecord holding `frame` the way a reader hands it out: inside a larger buffer, at a
 * non-zero offset, with unrelated bytes (0xEE) before and after — so a decoder that reads past
 * capLen or ignores `offset` is caught.
 */
export function toRecord(
  frame: Buffer,
  o: RecordOpts = {},
): import('../../src/engine/capture/packet-record').PacketRecord {
  const pad = 7;
  const buf = Buffer.alloc(pad + frame.length + 64, 0xee);
  frame.copy(buf, pad);
  const t = o.time ?? 1_700_000_000;
  const sec = Math.floor(t);
  return {
    frame: o.frame ?? 1,
    linkType: o.linkType ?? 1,
    interfaceId: 0,
    tsSec: sec,
    tsNsec: Math.round((t - sec) * 1e9),
    capLen: frame.length,
    origLen: o.origLen ?? frame.length,
    buf,
    offset: pad,
    fileOffset: 24,
  };
}
