import * as F from '../../../test/support/frame-builder';
import { DecodedPacket, IP_OPT } from './decoded-packet';
import { dstIp, srcIp } from './address';
import { PacketDecoder } from './packet.decoder';

const eth = (ip: Buffer) =>
  F.ethernet({ src: 'aa:bb:cc:00:00:01', dst: 'aa:bb:cc:00:00:02', etherType: F.ETH.IPV6 }, ip);
const S = '2001:db8::1';
const D = 'fe80::abcd:1';
const udp = F.udp({ sport: 547, dport: 546 }, Buffer.from('xyz'));

function decode(frame: Buffer, origLen?: number): DecodedPacket {
  const p = new DecodedPacket();
  new PacketDecoder().decode(F.toRecord(frame, { linkType: 1, origLen }), p);
  return p;
}

describe('IPv6', () => {
  it('plain header: addresses, hop limit, protocol, payload length', () => {
    const p = decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 17, hopLimit: 255 }, udp)));
    expect([
      p.malformed,
      p.ipVersion,
      srcIp(p),
      dstIp(p),
      p.ttl,
      p.ipProto,
      p.ipHeaderLen,
      p.ipTotalLen,
      p.srcPort,
      p.dstPort,
      p.payloadLen,
    ]).toEqual([null, 6, S, D, 255, 17, 40, 51, 547, 546, 3]);
  });

  it('hop-by-hop, destination options, routing type 0 (LSRR) then UDP', () => {
    const p = decode(
      eth(
        F.ipv6(
          {
            src: S,
            dst: D,
            nextHeader: 17,
            ext: [F.ipv6Options(0), F.ipv6Options(60, 14), F.ipv6Routing(['2001:db8::9'])],
          },
          udp,
        ),
      ),
    );
    expect([p.malformed, p.ipProto, p.ipHeaderLen, p.ipOptionFlags, p.srcPort, p.payloadLen]).toEqual([
      null,
      17,
      40 + 8 + 16 + 24,
      IP_OPT.LSRR,
      547,
      3,
    ]);
  });

  it('routing type 2 is not a source route', () => {
    const p = decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext: [F.ipv6Routing(['2001:db8::9'], 2)] }, udp)));
    expect([p.malformed, p.ipOptionFlags, p.srcPort]).toEqual([null, 0, 547]);
  });

  it('AH (length in 4-byte units) then TCP', () => {
    const p = decode(
      eth(
        F.ipv6(
          { src: S, dst: D, nextHeader: 6, ext: [{ type: 51, body: Buffer.alloc(22) }] },
          F.tcp({ sport: 1, dport: 2, seq: 3, flags: 2 }),
        ),
      ),
    );
    expect([p.malformed, p.ipProto, p.ipHeaderLen, p.srcPort, p.tcpFlags]).toEqual([null, 6, 64, 1, 2]);
  });

  it('ESP and no-next-header stop the chain', () => {
    const esp = decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 50, ext: [F.ipv6Options(0)] }, Buffer.alloc(16))));
    expect([esp.malformed, esp.ipProto, esp.l4Off, esp.payloadLen]).toEqual([null, 50, -1, 16]);
    const none = decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 59 })));
    expect([none.malformed, none.ipProto, none.payloadLen]).toEqual([null, 59, 0]);
  });

  it('atomic fragment (offset 0, no MF) is a whole datagram', () => {
    const p = decode(
      eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext: [F.ipv6Fragment({ offset: 0, more: false, id: 9 })] }, udp)),
    );
    expect([p.malformed, p.isFragment, p.ipId, p.ipProto, p.srcPort]).toEqual([null, false, 9, 17, 547]);
  });

  it('more extension headers than the cap is ipv6.bad-extension-header', () => {
    const ext = Array.from({ length: 17 }, () => F.ipv6Options(60));
    expect(decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext }, udp))).malformed).toBe(
      'ipv6.bad-extension-header',
    );
    const ok = Array.from({ length: 16 }, () => F.ipv6Options(60));
    expect(decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext: ok }, udp))).malformed).toBe(null);
  });

  it('extension header longer than the payload length says is ipv6.bad-extension-header; cut by snaplen is ipv6.truncated', () => {
    const frame = eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext: [F.ipv6Options(0, 30)] }, udp));
    const lying = Buffer.from(frame);
    lying.writeUInt16BE(16, 18); // payload length 16 < 32-byte hop-by-hop header
    expect(decode(lying).malformed).toBe('ipv6.bad-extension-header');
    expect(decode(frame.subarray(0, 14 + 40 + 20), frame.length).malformed).toBe('ipv6.truncated');
  });

  it('every truncation point of Ethernet/IPv6/hop-by-hop/UDP', () => {
    const frame = eth(F.ipv6({ src: S, dst: D, nextHeader: 17, ext: [F.ipv6Options(0)] }, udp));
    expect(frame.length).toBe(14 + 40 + 8 + 11);
    const got: Array<[number, string | null]> = [];
    const want: Array<[number, string | null]> = [];
    for (let n = 0; n <= frame.length; n++) {
      got.push([n, decode(frame.subarray(0, n), frame.length).malformed]);
      want.push([
        n,
        n < 14
          ? 'link.truncated'
          : n < 54
            ? 'ipv6.truncated'
            : n < 62
              ? 'ipv6.truncated'
              : n < 70
                ? 'udp.truncated'
                : null,
      ]);
    }
    expect(got).toEqual(want);
    // Not cut by a snaplen: the payload length lies.
    expect(decode(frame.subarray(0, 70)).malformed).toBe('ipv6.bad-payload-length');
  });

  it('bad version', () => {
    const frame = eth(F.ipv6({ src: S, dst: D, nextHeader: 17 }, udp));
    frame[14] = 0x40;
    expect(decode(frame).malformed).toBe('ipv6.bad-version');
  });

  it('ICMPv6 echo request and a truncated ICMPv6 header', () => {
    const p = decode(
      eth(F.ipv6({ src: S, dst: D, nextHeader: 58 }, F.icmpv6({ type: 128, rest: 1 }, Buffer.from('abc')))),
    );
    expect([p.malformed, p.ipProto, p.icmpType, p.icmpCode, p.payloadLen]).toEqual([null, 58, 128, 0, 3]);
    const q = decode(eth(F.ipv6({ src: S, dst: D, nextHeader: 58 }, Buffer.from([135, 0, 0]))));
    expect([q.malformed, q.icmpType, q.icmpCode]).toEqual(['icmpv6.truncated', 135, 0]);
  });
});
