import * as F from '../../../test/support/frame-builder';
import { DecodedPacket, IP_OPT, TCP } from './decoded-packet';
import { dstIp, srcIp } from './address';
import { PacketDecoder } from './packet.decoder';

const A = 'aa:bb:cc:00:00:01';
const B = 'aa:bb:cc:00:00:02';
const eth = (ip: Buffer) => F.ethernet({ src: A, dst: B, etherType: F.ETH.IPV4 }, ip);

function decode(frame: Buffer, origLen?: number): DecodedPacket {
  const p = new DecodedPacket();
  new PacketDecoder().decode(F.toRecord(frame, { linkType: 1, origLen }), p);
  return p;
}

describe('IPv4 + TCP: every truncation point', () => {
  // Ethernet 14 + IPv4 24 (4 bytes of options) + TCP 24 (MSS option) + 10 bytes payload = 72.
  const mss = Buffer.from([2, 4, 0x05, 0xb4]);
  const full = eth(
    F.ipv4(
      { src: '192.0.2.1', dst: '198.51.100.2', proto: 6, options: Buffer.from([1, 1, 1, 0]) },
      F.tcp({ sport: 5555, dport: 80, seq: 1, flags: TCP.SYN | TCP.ACK, options: mss }, Buffer.from('0123456789')),
    ),
  );

  function expected(n: number, snapped: boolean): string | null {
    if (n < 14) return 'link.truncated';
    if (n < 14 + 24) return 'ipv4.truncated';
    if (!snapped && n < full.length) return 'ipv4.bad-total-length';
    if (n < 38 + 24) return 'tcp.truncated';
    return null;
  }

  it('has the layout the cases assume', () => {
    expect(full.length).toBe(72);
    const p = decode(full);
    expect([
      p.malformed,
      p.ipHeaderLen,
      p.tcpHeaderLen,
      p.tcpOptOff - p.offset,
      p.tcpOptLen,
      p.payloadOff - p.offset,
      p.payloadLen,
    ]).toEqual([null, 24, 24, 58, 4, 62, 10]);
  });

  it.each([true, false])('cut by snaplen=%s: exact reason at every length, never throws', (snapped) => {
    const got: Array<[number, string | null]> = [];
    const want: Array<[number, string | null]> = [];
    for (let n = 0; n <= full.length; n++) {
      const p = decode(full.subarray(0, n), snapped ? full.length : undefined);
      got.push([n, p.malformed]);
      want.push([n, expected(n, snapped)]);
      if (n >= 38 + 4) expect([n, p.srcPort, p.dstPort]).toEqual([n, 5555, 80]);
      if (n >= 38 + 24) expect([n, p.payloadLen, p.tcpFlags]).toEqual([n, n - 62, TCP.SYN | TCP.ACK]);
    }
    expect(got).toEqual(want);
  });
});

describe('IPv4 header', () => {
  const udp = F.udp({ sport: 1, dport: 2 }, Buffer.from('abcd'));

  it('fields: addresses, TTL, id, DF, protocol', () => {
    const p = decode(
      eth(F.ipv4({ src: '255.254.253.252', dst: '1.2.3.4', proto: 17, ttl: 3, id: 0xbeef, flags: F.IPFLAG.DF }, udp)),
    );
    expect([
      p.malformed,
      srcIp(p),
      dstIp(p),
      p.src4,
      p.ttl,
      p.ipId,
      p.dontFragment,
      p.isFragment,
      p.ipTotalLen,
      p.ipOff - p.offset,
    ]).toEqual([null, '255.254.253.252', '1.2.3.4', 0xfffefdfc, 3, 0xbeef, true, false, 32, 14]);
  });

  it.each([
    ['LSRR', F.lsrrOption(['10.9.9.9', '10.8.8.8']), IP_OPT.LSRR],
    ['SSRR', Buffer.from([137, 7, 4, 1, 2, 3, 4]), IP_OPT.SSRR],
    ['RR', Buffer.from([7, 7, 4, 0, 0, 0, 0]), IP_OPT.RR],
    ['timestamp', Buffer.from([68, 8, 5, 0, 0, 0, 0, 0]), IP_OPT.TS],
    ['security', Buffer.from([130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0]), IP_OPT.SECURITY],
    ['router alert + RR', Buffer.from([148, 4, 0, 0, 7, 3, 4]), IP_OPT.OTHER | IP_OPT.RR],
  ])('option %s', (_n, options, flags) => {
    const p = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, options }, udp)));
    expect([p.malformed, p.ipOptionFlags, p.srcPort, p.dstPort]).toEqual([null, flags, 1, 2]);
  });

  it('option length past the header is ipv4.bad-options; layer 4 still decoded behind the IHL', () => {
    const p = decode(
      eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, options: Buffer.from([131, 40, 4, 0]) }, udp)),
    );
    expect([p.malformed, p.ipOptionFlags, p.srcPort, p.payloadLen]).toEqual(['ipv4.bad-options', 0, 1, 4]);
    const q = decode(
      eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, options: Buffer.from([1, 1, 1, 68]) }, udp)),
    );
    expect(q.malformed).toBe('ipv4.bad-options');
  });

  it('bad version, IHL < 5, total length < IHL', () => {
    const good = eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp));
    const v = Buffer.from(good);
    v[14] = 0x55;
    expect(decode(v).malformed).toBe('ipv4.bad-version');
    const ihl = Buffer.from(good);
    ihl[14] = 0x44;
    expect(decode(ihl).malformed).toBe('ipv4.bad-ihl');
    const tl = Buffer.from(good);
    tl.writeUInt16BE(19, 16);
    expect(decode(tl).malformed).toBe('ipv4.bad-total-length');
  });

  it('total length 0 (TSO capture) means the captured length', () => {
    const p = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, totalLength: 0 }, udp)));
    expect([p.malformed, p.ipTotalLen, p.payloadLen]).toEqual([null, 32, 4]);
  });
});

describe('TCP', () => {
  const seg = (o: Partial<F.TcpOpts>, payload = Buffer.alloc(0)) =>
    decode(
      eth(
        F.ipv4(
          { src: '10.0.0.1', dst: '10.0.0.2', proto: 6 },
          F.tcp({ sport: 1000, dport: 22, seq: 0xfffffff0, ack: 0x80000001, flags: 0, window: 512, ...o }, payload),
        ),
      ),
    );

  it.each(Object.entries(TCP))('flag %s', (_name, bit) => {
    const p = seg({ flags: bit });
    expect([p.malformed, p.tcpFlags]).toEqual([null, bit]);
  });

  it('seq/ack as unsigned, window, all flags together, payload', () => {
    const p = seg({ flags: 0x1ff }, Buffer.from('hello'));
    expect([
      p.tcpSeq,
      p.tcpAck,
      p.tcpWindow,
      p.tcpFlags,
      p.payloadLen,
      p.l4Buf.toString('latin1', p.payloadOff, p.payloadOff + p.payloadLen),
    ]).toEqual([0xfffffff0, 0x80000001, 512, 0x1ff, 5, 'hello']);
  });

  it('data offset < 5 or beyond the segment is tcp.bad-data-offset (ports kept)', () => {
    const a = seg({ flags: TCP.SYN, dataOffset: 4 });
    expect([a.malformed, a.srcPort, a.dstPort]).toEqual(['tcp.bad-data-offset', 1000, 22]);
    const b = seg({ flags: TCP.SYN, dataOffset: 15 }, Buffer.alloc(10));
    expect(b.malformed).toBe('tcp.bad-data-offset');
  });

  it('option running past the header is tcp.bad-options', () => {
    expect(seg({ flags: TCP.SYN, options: Buffer.from([2, 4, 5, 0xb4, 8, 10, 0, 0]) }).malformed).toBe(
      'tcp.bad-options',
    );
    expect(seg({ flags: TCP.SYN, options: Buffer.from([1, 1, 3, 0]) }).malformed).toBe('tcp.bad-options');
    expect(seg({ flags: TCP.SYN, options: Buffer.from([1, 3, 3, 7]) }).malformed).toBe(null);
  });
});

describe('UDP', () => {
  const dgram = (o: { length?: number }, payload: Buffer) =>
    decode(
      eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, F.udp({ sport: 53, dport: 9999, ...o }, payload))),
    );

  it('payload stops at the UDP length', () => {
    const p = dgram({ length: 11 }, Buffer.from('abcdef'));
    expect([p.malformed, p.payloadLen, p.l4Buf.toString('latin1', p.payloadOff, p.payloadOff + p.payloadLen)]).toEqual([
      null,
      3,
      'abc',
    ]);
  });

  it('length < 8 or beyond the IP payload is udp.bad-length (ports and captured payload kept)', () => {
    const a = dgram({ length: 7 }, Buffer.from('abcdef'));
    expect([a.malformed, a.srcPort, a.dstPort, a.payloadLen]).toEqual(['udp.bad-length', 53, 9999, 6]);
    expect(dgram({ length: 15 }, Buffer.from('abcdef')).malformed).toBe('udp.bad-length');
  });

  it('snaplen-cut datagram: payload is what was captured', () => {
    const frame = eth(
      F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, F.udp({ sport: 1, dport: 2 }, Buffer.alloc(100))),
    );
    const p = decode(frame.subarray(0, 60), frame.length);
    expect([p.malformed, p.payloadLen]).toEqual([null, 60 - 42]);
  });
});

describe('ICMP', () => {
  it('echo request type/code and payload', () => {
    const p = decode(
      eth(
        F.ipv4(
          { src: '10.0.0.1', dst: '10.0.0.2', proto: 1 },
          F.icmp({ type: 8, rest: 0x12340001 }, Buffer.from('ping!')),
        ),
      ),
    );
    expect([p.malformed, p.icmpType, p.icmpCode, p.payloadLen, p.srcPort]).toEqual([null, 8, 0, 5, 0]);
  });

  it('port unreachable: type 3 code 3, the quoted datagram is payload', () => {
    const quoted = F.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 17 }, F.udp({ sport: 5, dport: 6 }));
    const p = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, F.icmp({ type: 3, code: 3 }, quoted))));
    expect([p.malformed, p.icmpType, p.icmpCode, p.payloadLen]).toEqual([null, 3, 3, 28]);
  });

  it('ICMP header shorter than 8 bytes is icmp.truncated; type/code kept', () => {
    const p = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, Buffer.from([0, 0, 0xff, 0xff]))));
    expect([p.malformed, p.icmpType, p.icmpCode]).toEqual(['icmp.truncated', 0, 0]);
    const q = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, Buffer.alloc(0))));
    expect([q.malformed, q.icmpType]).toEqual(['icmp.truncated', -1]);
  });

  it('other protocols (GRE): no layer 4, IP payload exposed', () => {
    const p = decode(eth(F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 47 }, Buffer.alloc(12, 1))));
    expect([p.malformed, p.ipProto, p.l4Off, p.payloadOff - p.offset, p.payloadLen]).toEqual([null, 47, -1, 34, 12]);
  });
});
