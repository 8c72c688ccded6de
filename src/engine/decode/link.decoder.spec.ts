import * as F from '../../../test/support/frame-builder';
import { DecodedPacket } from './decoded-packet';
import { dstIp, dstMac, srcIp, srcMac } from './address';
import { PacketDecoder } from './packet.decoder';

const A = 'aa:bb:cc:00:00:01';
const B = 'aa:bb:cc:00:00:02';
const udp4 = () =>
  F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, F.udp({ sport: 1111, dport: 53 }, Buffer.from('q')));
const tcp6 = () =>
  F.ipv6(
    { src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6 },
    F.tcp({ sport: 40000, dport: 443, seq: 7, flags: F.TCPF.SYN }),
  );

function decode(frame: Buffer, linkType: number, dec = new PacketDecoder()): DecodedPacket {
  const p = new DecodedPacket();
  dec.decode(F.toRecord(frame, { linkType }), p);
  return p;
}

function expectUdp4(p: DecodedPacket): void {
  expect([
    p.malformed,
    p.linkKnown,
    p.ipVersion,
    srcIp(p),
    dstIp(p),
    p.ipProto,
    p.srcPort,
    p.dstPort,
    p.payloadLen,
  ]).toEqual([null, true, 4, '10.0.0.1', '10.0.0.2', 17, 1111, 53, 1]);
}

function expectTcp6(p: DecodedPacket): void {
  expect([
    p.malformed,
    p.linkKnown,
    p.ipVersion,
    srcIp(p),
    dstIp(p),
    p.ipProto,
    p.srcPort,
    p.dstPort,
    p.tcpFlags,
  ]).toEqual([null, true, 6, '2001:db8::1', '2001:db8::2', 6, 40000, 443, F.TCPF.SYN]);
}

describe('link layers', () => {
  it('Ethernet II: MACs, EtherType, IPv4/UDP', () => {
    const p = decode(F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV4 }, udp4()), 1);
    expectUdp4(p);
    expect([srcMac(p), dstMac(p), p.etherType, p.vlanCount]).toEqual([A, B, 0x0800, 0]);
  });

  it('Ethernet padding after a short IP datagram is not payload', () => {
    const frame = Buffer.concat([
      F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV4 }, udp4()),
      Buffer.alloc(20, 0x55),
    ]);
    expectUdp4(decode(frame, 1));
  });

  it('802.1Q single tag', () => {
    const p = decode(F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV6, vlan: [100] }, tcp6()), 1);
    expectTcp6(p);
    expect([p.vlanCount, p.vlanOuter, p.vlanInner, p.etherType]).toEqual([1, 100, 0, 0x86dd]);
  });

  it('802.1ad QinQ (0x88a8 outer, 0x8100 inner) and a third tag', () => {
    const p = decode(
      F.ethernet(
        { src: A, dst: B, etherType: F.ETH.IPV4, vlan: [300, 20, 5], vlanTpid: [0x88a8, 0x8100, 0x8100] },
        udp4(),
      ),
      1,
    );
    expectUdp4(p);
    expect([p.vlanCount, p.vlanOuter, p.vlanInner]).toEqual([3, 300, 20]);
  });

  it('more VLAN tags than MAX_VLAN_TAGS: no layer 3, not malformed', () => {
    const p = decode(
      F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV4, vlan: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, udp4()),
      1,
    );
    expect([p.malformed, p.vlanCount, p.ipVersion]).toEqual([null, 8, 0]);
  });

  it('VLAN tag cut short is vlan.truncated', () => {
    const frame = F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV4, vlan: [7] }, udp4()).subarray(0, 16);
    expect(decode(frame, 1).malformed).toBe('vlan.truncated');
  });

  it('802.3 length field with plain LLC: no layer 3, not malformed; with SNAP: EtherType followed', () => {
    const llc = Buffer.concat([Buffer.from([0x42, 0x42, 0x03]), Buffer.alloc(35)]);
    const p = decode(F.ethernet({ src: A, dst: B, etherType: llc.length }, llc), 1);
    expect([p.malformed, p.linkKnown, p.etherType, p.ipVersion, srcMac(p)]).toEqual([null, true, 0, 0, A]);
    const arp = F.arp({ op: 2, senderMac: A, senderIp: '10.0.0.1', targetMac: B, targetIp: '10.0.0.2' });
    const snap = Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06]), arp]);
    const q = decode(F.ethernet({ src: A, dst: B, etherType: snap.length }, snap), 1);
    expect([q.malformed, q.isArp, q.arpOp, srcIp(q), dstIp(q)]).toEqual([null, true, 2, '10.0.0.1', '10.0.0.2']);
  });

  it('PPPoE session carrying IPv4', () => {
    const ppp = Buffer.concat([Buffer.from([0x11, 0x00, 0x00, 0x01, 0, 0, 0x00, 0x21]), udp4()]);
    ppp.writeUInt16BE(ppp.length - 6, 4);
    expectUdp4(decode(F.ethernet({ src: A, dst: B, etherType: 0x8864 }, ppp), 1));
  });

  it('Linux SLL (113) with a 6-byte source address', () => {
    const p = decode(F.sll({ protocol: F.ETH.IPV4, addr: A }, udp4()), 113);
    expectUdp4(p);
    expect([srcMac(p), dstMac(p)]).toEqual([A, undefined]);
  });

  it('Linux SLL2 (276)', () => {
    const p = decode(F.sll2({ protocol: F.ETH.IPV6, addr: B }, tcp6()), 276);
    expectTcp6(p);
    expect(srcMac(p)).toBe(B);
  });

  it('SLL truncated header', () => {
    expect(decode(Buffer.alloc(15), 113).malformed).toBe('link.truncated');
    expect(decode(Buffer.alloc(19), 276).malformed).toBe('link.truncated');
  });

  it('BSD null (0): AF in either byte order, AF_INET6 as 24, 28 and 30', () => {
    expectUdp4(decode(F.nullLink(2, udp4()), 0));
    expectUdp4(decode(F.nullLink(2, udp4(), true), 0));
    for (const af of [24, 28, 30]) {
      expectTcp6(decode(F.nullLink(af, tcp6()), 0));
      expectTcp6(decode(F.nullLink(af, tcp6(), true), 0));
    }
    const p = decode(F.nullLink(7, udp4()), 0);
    expect([p.malformed, p.linkKnown, p.ipVersion]).toEqual([null, true, 0]);
  });

  it('OpenBSD loop (108): network order', () => {
    expectUdp4(decode(F.nullLink(2, udp4(), true), 108));
    expectTcp6(decode(F.nullLink(24, tcp6(), true), 108));
  });

  it('raw IP (101, 12, 14) by version nibble; IPv4 (228) and IPv6 (229)', () => {
    for (const lt of [101, 12, 14]) {
      expectUdp4(decode(udp4(), lt));
      expectTcp6(decode(tcp6(), lt));
    }
    expectUdp4(decode(udp4(), 228));
    expectTcp6(decode(tcp6(), 229));
    expect(decode(Buffer.from([0x50, 0, 0, 0]), 101).malformed).toBe('ipv4.bad-version');
  });

  it('unknown link type: counted by value, not malformed', () => {
    const dec = new PacketDecoder();
    const p = decode(udp4(), 147, dec);
    decode(udp4(), 147, dec);
    decode(udp4(), 9, dec);
    expect([p.linkKnown, p.malformed, p.ipVersion]).toEqual([false, null, 0]);
    expect(dec.stats.unknownLinkType).toEqual({ '147': 2, '9': 1 });
    expect([dec.stats.packets, dec.stats.malformed]).toEqual([3, 0]);
  });

  it('copies the record fields', () => {
    const dec = new PacketDecoder();
    const p = new DecodedPacket();
    const rec = F.toRecord(udp4(), { linkType: 101, frame: 42, time: 1_700_000_123.25, origLen: 500 });
    dec.decode(rec, p);
    expect([
      p.frame,
      p.linkType,
      p.tsSec,
      p.tsNsec,
      p.time,
      p.capLen,
      p.origLen,
      p.offset,
      p.buf === rec.buf,
      p.l4Buf === rec.buf,
    ]).toEqual([42, 101, 1_700_000_123, 250_000_000, 1_700_000_123.25, rec.capLen, 500, 7, true, true]);
  });
});

describe('ARP', () => {
  it('Ethernet/IPv4 request and reply', () => {
    const frame = F.ethernet(
      { src: A, dst: 'ff:ff:ff:ff:ff:ff', etherType: F.ETH.ARP },
      F.arp({ op: 1, senderMac: A, senderIp: '192.168.1.1', targetMac: '00:00:00:00:00:00', targetIp: '192.168.1.77' }),
    );
    const p = decode(frame, 1);
    expect([p.malformed, p.isArp, p.arpOp, srcIp(p), dstIp(p), p.ipVersion]).toEqual([
      null,
      true,
      1,
      '192.168.1.1',
      '192.168.1.77',
      0,
    ]);
    expect([
      p.buf.toString('hex', p.arpSenderMacOff, p.arpSenderMacOff + 6),
      p.buf.toString('hex', p.arpTargetMacOff, p.arpTargetMacOff + 6),
    ]).toEqual(['aabbcc000001', '000000000000']);
  });

  it('truncated ARP and non-Ethernet/IPv4 ARP', () => {
    const arp = F.arp({ op: 2, senderMac: A, senderIp: '1.1.1.1', targetMac: B, targetIp: '2.2.2.2' });
    expect(decode(F.ethernet({ src: A, dst: B, etherType: F.ETH.ARP }, arp.subarray(0, 27)), 1).malformed).toBe(
      'arp.truncated',
    );
    expect(decode(F.ethernet({ src: A, dst: B, etherType: F.ETH.ARP }, arp.subarray(0, 7)), 1).malformed).toBe(
      'arp.truncated',
    );
    const other = Buffer.from(arp);
    other.writeUInt16BE(6, 0); // IEEE 802 hardware
    const p = decode(F.ethernet({ src: A, dst: B, etherType: F.ETH.ARP }, other), 1);
    expect([p.malformed, p.isArp]).toEqual([null, false]);
  });
});
