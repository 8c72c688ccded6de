import * as F from '../../../test/support/frame-builder';
import { DecodedPacket } from './decoded-packet';
import { PacketDecoder, type DecoderState, type PacketDecoderOptions } from './packet.decoder';

const MAC = { src: 'aa:bb:cc:00:00:01', dst: 'aa:bb:cc:00:00:02' };
const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const udpDatagram = F.udp({ sport: 4000, dport: 53 }, payload); // 108 bytes

/** IPv4 fragments of `l4` cut at the given byte offsets (multiples of 8). */
function frags4(l4: Buffer, cuts: number[], id = 7, proto = 17, src = '10.0.0.1'): Buffer[] {
  const bounds = [0, ...cuts, l4.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const more = i + 2 < bounds.length;
    out.push(
      F.ethernet(
        { ...MAC, etherType: F.ETH.IPV4 },
        F.ipv4(
          { src, dst: '10.0.0.2', proto, id, flags: more ? F.IPFLAG.MF : 0, fragOffset: bounds[i] },
          l4.subarray(bounds[i], bounds[i + 1]),
        ),
      ),
    );
  }
  return out;
}

function frag4(l4: Buffer, at: number, more: boolean, id = 7, proto = 17): Buffer {
  return F.ethernet(
    { ...MAC, etherType: F.ETH.IPV4 },
    F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto, id, flags: more ? F.IPFLAG.MF : 0, fragOffset: at }, l4),
  );
}

interface Seen {
  frame: number;
  frag: boolean;
  re: boolean;
  malformed: string | null;
  ports: string;
  payload: string;
}

function run(
  frames: Buffer[],
  opts: PacketDecoderOptions = {},
  times?: number[],
  dec = new PacketDecoder(opts),
  firstFrame = 1,
): Seen[] {
  const p = new DecodedPacket();
  return frames.map((f, i) => {
    dec.decode(F.toRecord(f, { frame: firstFrame + i, time: times ? times[i] : 1000 + i * 0.001 }), p);
    return {
      frame: p.frame,
      frag: p.isFragment,
      re: p.reassembled,
      malformed: p.malformed,
      ports: p.l4Off >= 0 ? `${p.srcPort}>${p.dstPort}` : '',
      payload: p.l4Off >= 0 ? p.l4Buf.toString('hex', p.payloadOff, p.payloadOff + p.payloadLen) : '',
    };
  });
}

const done = (frame: number) => ({
  frame,
  frag: true,
  re: true,
  malformed: null,
  ports: '4000>53',
  payload: payload.toString('hex'),
});
const pending = (frame: number, malformed: string | null = null) => ({
  frame,
  frag: true,
  re: false,
  malformed,
  ports: '',
  payload: '',
});

describe('IPv4 defragmentation', () => {
  it('in order: layer 4 only on the completing fragment, from the reassembled bytes', () => {
    const dec = new PacketDecoder();
    expect(run(frags4(udpDatagram, [32, 64]), {}, undefined, dec)).toEqual([pending(1), pending(2), done(3)]);
    expect([dec.stats.fragments, dec.stats.reassembled, dec.fragmentsInFlight, dec.stats.malformed]).toEqual([
      3, 1, 0, 0,
    ]);
  });

  it('out of order (last first) and duplicate-free', () => {
    const [a, b, c] = frags4(udpDatagram, [40, 80]);
    expect(run([c, a, b])).toEqual([pending(1), pending(2), done(3)]);
  });

  it('interleaved datagrams with different ids stay apart', () => {
    const x = frags4(udpDatagram, [56], 1);
    const y = frags4(udpDatagram, [24], 2);
    expect(run([x[0], y[0], y[1], x[1]])).toEqual([pending(1), pending(2), done(3), done(4)]);
  });

  it('identical overlap: flagged, not conflicting, datagram still completes', () => {
    const dec = new PacketDecoder();
    const [a, b] = frags4(udpDatagram, [64]);
    const dup = frag4(udpDatagram.subarray(32, 64), 32, true);
    expect(run([a, dup, b], {}, undefined, dec)).toEqual([pending(1), pending(2, 'fragment.overlap'), done(3)]);
    expect([
      dec.stats.fragmentOverlaps,
      dec.stats.fragmentOverlapsConflicting,
      dec.stats.malformedByReason['fragment.overlap'],
    ]).toEqual([1, 0, 1]);
  });

  it('conflicting overlap (teardrop-style): counted apart; bytes that arrived first win', () => {
    const dec = new PacketDecoder();
    const [a, b] = frags4(udpDatagram, [64]);
    // 56..72 of 0xff: overlaps a (56..64, a wins) and is itself overlapped by b (64..72, evil wins).
    const evil = frag4(Buffer.alloc(16, 0xff), 56, true);
    const seen = run([a, evil, b], {}, undefined, dec);
    const want = Buffer.from(udpDatagram);
    want.fill(0xff, 64, 72);
    expect(seen).toEqual([
      pending(1),
      pending(2, 'fragment.overlap'),
      { ...done(3), malformed: 'fragment.overlap', payload: want.subarray(8).toString('hex') },
    ]);
    expect([dec.stats.fragmentOverlaps, dec.stats.fragmentOverlapsConflicting]).toEqual([2, 2]);
  });

  it('a second "last" fragment with another end is a conflicting overlap', () => {
    const dec = new PacketDecoder();
    run([frag4(udpDatagram.subarray(64), 64, false), frag4(Buffer.alloc(8), 200, false)], {}, undefined, dec);
    expect([dec.stats.fragmentOverlaps, dec.stats.fragmentOverlapsConflicting]).toEqual([1, 1]);
  });

  it('timeout in packet time drops an incomplete datagram', () => {
    const dec = new PacketDecoder();
    const [a, b] = frags4(udpDatagram, [64]);
    expect(run([a, b], {}, [1000, 1030], dec)).toEqual([pending(1), pending(2)]);
    expect([dec.stats.fragmentTimeouts, dec.stats.reassembled, dec.fragmentsInFlight]).toEqual([1, 0, 1]);
    expect(run([a, b], { defrag: { timeoutSec: 60 } }, [1000, 1030])).toEqual([pending(1), done(2)]);
  });

  it('cap on datagrams in flight evicts the oldest', () => {
    const dec = new PacketDecoder({ defrag: { maxDatagrams: 2 } });
    const d = [1, 2, 3].map((id) => frags4(udpDatagram, [64], id));
    // The third datagram evicts the first; the first's last fragment then starts a new one.
    const seen = run([d[0][0], d[1][0], d[2][0], d[2][1], d[1][1], d[0][1]], {}, undefined, dec);
    expect(seen.map((s) => s.re)).toEqual([false, false, false, true, true, false]);
    expect([dec.stats.fragmentEvictions, dec.fragmentsInFlight]).toEqual([1, 1]);
  });

  it('cap on bytes held evicts the oldest', () => {
    const big = F.udp({ sport: 1, dport: 2 }, Buffer.alloc(40000));
    const dec = new PacketDecoder({ defrag: { maxBytes: 65535 } });
    run(
      [
        frag4(big.subarray(0, 32000), 0, true, 1),
        frag4(big.subarray(0, 32000), 0, true, 2),
        frag4(big.subarray(0, 32000), 0, true, 3),
      ],
      {},
      undefined,
      dec,
    );
    expect([dec.stats.fragmentEvictions, dec.fragmentsInFlight]).toEqual([1, 2]);
  });

  it('cap on fragments per datagram gives up on the datagram', () => {
    const dec = new PacketDecoder({ defrag: { maxFragmentsPerDatagram: 4 } });
    const cuts = [8, 16, 24, 32, 40];
    const seen = run(frags4(udpDatagram, cuts), {}, undefined, dec);
    expect(seen.every((s) => !s.re)).toBe(true);
    expect([dec.stats.fragmentEvictions, dec.stats.reassembled]).toEqual([1, 0]);
  });

  it('fragment ending beyond 65535 bytes is fragment.too-large (ping of death)', () => {
    const dec = new PacketDecoder();
    const seen = run([frag4(Buffer.alloc(16), 65528, false, 9, 1)], {}, undefined, dec);
    expect(seen[0].malformed).toBe('fragment.too-large');
    expect([dec.stats.fragmentsTooLarge, dec.fragmentsInFlight]).toEqual([1, 0]);
  });

  it('tiny first TCP fragment is counted (RFC 1858)', () => {
    const seg = F.tcp({ sport: 1, dport: 22, seq: 1, flags: F.TCPF.SYN });
    const dec = new PacketDecoder();
    const seen = run(
      [frag4(seg.subarray(0, 8), 0, true, 5, 6), frag4(seg.subarray(8), 8, false, 5, 6)],
      {},
      undefined,
      dec,
    );
    expect(seen.map((s) => [s.re, s.ports])).toEqual([
      [false, ''],
      [true, '1>22'],
    ]);
    expect(dec.stats.tinyFirstFragments).toBe(1);
  });

  it('defrag disabled: fragments counted, never reassembled', () => {
    const dec = new PacketDecoder({ defrag: { enabled: false } });
    expect(run(frags4(udpDatagram, [64]), {}, undefined, dec)).toEqual([pending(1), pending(2)]);
    expect([dec.stats.fragments, dec.stats.reassembled]).toEqual([2, 0]);
  });
});

describe('IPv6 defragmentation', () => {
  const S = '2001:db8::1';
  const D = '2001:db8::2';
  function frags6(
    fragmentable: Buffer,
    cuts: number[],
    nh: number,
    id = 0x01020304,
    unfrag: F.Ipv6Ext[] = [],
  ): Buffer[] {
    const bounds = [0, ...cuts, fragmentable.length];
    const out: Buffer[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const ext = [...unfrag, F.ipv6Fragment({ offset: bounds[i], more: i + 2 < bounds.length, id })];
      out.push(
        F.ethernet(
          { ...MAC, etherType: F.ETH.IPV6, vlan: [12] },
          F.ipv6({ src: S, dst: D, nextHeader: nh, ext }, fragmentable.subarray(bounds[i], bounds[i + 1])),
        ),
      );
    }
    return out;
  }

  it('hop-by-hop before the fragment header, UDP after: reassembled on the last fragment', () => {
    const dec = new PacketDecoder();
    const seen = run(frags6(udpDatagram, [48], 17, 0xfeedf00d, [F.ipv6Options(0)]).reverse(), {}, undefined, dec);
    expect(seen).toEqual([pending(1), done(2)]);
    expect(dec.stats.reassembled).toBe(1);
  });

  it('destination options inside the fragmentable part, TCP after it', () => {
    const seg = F.tcp({ sport: 4000, dport: 53, seq: 1, flags: F.TCPF.PSH | F.TCPF.ACK }, payload);
    const dst = Buffer.alloc(8);
    dst[0] = 6; // next header TCP
    dst[2] = 1; // PadN
    dst[3] = 4;
    const seen = run(frags6(Buffer.concat([dst, seg]), [64], 60), {});
    expect(seen).toEqual([pending(1), done(2)]);
  });

  it('a fragment header inside the reassembled payload is ipv6.bad-extension-header', () => {
    const inner = Buffer.concat([Buffer.from([17, 0, 0, 0, 0, 0, 0, 1]), udpDatagram]);
    const seen = run(frags6(inner, [64], 44), {});
    expect(seen[1]).toEqual({
      frame: 2,
      frag: true,
      re: true,
      malformed: 'ipv6.bad-extension-header',
      ports: '',
      payload: '',
    });
  });

  it('overlapping IPv6 fragments are flagged', () => {
    const [a, b] = frags6(udpDatagram, [64], 17);
    const dec = new PacketDecoder();
    const seen = run([a, a, b], {}, undefined, dec);
    expect(seen.map((s) => [s.malformed, s.re])).toEqual([
      [null, false],
      ['fragment.overlap', false],
      [null, true],
    ]);
    expect(dec.stats.fragmentOverlaps).toBe(1);
  });
});

describe('decoder snapshot / restore', () => {
  it('splitting a run at every packet boundary (state through JSON) gives the single-pass result', () => {
    const x = frags4(udpDatagram, [16, 48, 72], 1);
    const y = frags4(udpDatagram, [24], 2);
    const plain = F.ethernet(
      { ...MAC, etherType: F.ETH.IPV4 },
      F.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udpDatagram),
    );
    const frames = [x[2], y[1], plain, x[0], frag4(udpDatagram.subarray(16, 32), 16, true, 1), y[0], x[3], x[1]];
    const times = frames.map((_, i) => 1000 + i * 2);
    const single = new PacketDecoder();
    const want = run(frames, {}, times, single);
    expect(want.filter((s) => s.re).length).toBe(2);
    for (let k = 0; k <= frames.length; k++) {
      const a = new PacketDecoder();
      const first = run(frames.slice(0, k), {}, times.slice(0, k), a);
      const state = JSON.parse(JSON.stringify(a.snapshot())) as DecoderState;
      const b = new PacketDecoder();
      b.restore(state);
      const rest = run(frames.slice(k), {}, times.slice(k), b, k + 1);
      expect([k, ...first, ...rest]).toEqual([k, ...want]);
      expect([k, b.stats]).toEqual([k, single.stats]);
    }
  });
});
