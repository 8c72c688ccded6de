import * as F from '../../../test/support/frame-builder';
import { DecodedPacket } from './decoded-packet';
import { PacketDecoder } from './packet.decoder';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAC = { src: 'aa:bb:cc:00:00:01', dst: 'aa:bb:cc:00:00:02' };
const seeds: Array<[number, Buffer]> = [
  [
    1,
    F.ethernet(
      { ...MAC, etherType: F.ETH.IPV4, vlan: [5, 6] },
      F.ipv4(
        { src: '1.1.1.1', dst: '2.2.2.2', proto: 6, options: F.lsrrOption(['3.3.3.3']) },
        F.tcp(
          { sport: 1, dport: 2, seq: 3, flags: 2, options: Buffer.from([2, 4, 5, 180, 1, 3, 3, 7]) },
          Buffer.alloc(20),
        ),
      ),
    ),
  ],
  [
    1,
    F.ethernet(
      { ...MAC, etherType: F.ETH.IPV6 },
      F.ipv6(
        { src: '::1', dst: '::2', nextHeader: 17, ext: [F.ipv6Options(0), F.ipv6Routing(['::3']), F.ipv6Options(60)] },
        F.udp({ sport: 1, dport: 2 }, Buffer.alloc(9)),
      ),
    ),
  ],
  [
    1,
    F.ethernet(
      { ...MAC, etherType: F.ETH.IPV6 },
      F.ipv6(
        { src: '::1', dst: '::2', nextHeader: 17, ext: [F.ipv6Fragment({ offset: 0, more: true, id: 1 })] },
        F.udp({ sport: 1, dport: 2 }, Buffer.alloc(16)),
      ),
    ),
  ],
  [
    1,
    F.ethernet(
      { ...MAC, etherType: F.ETH.IPV4 },
      F.ipv4(
        { src: '1.1.1.1', dst: '2.2.2.2', proto: 17, flags: F.IPFLAG.MF, id: 9 },
        F.udp({ sport: 1, dport: 2 }, Buffer.alloc(16)),
      ),
    ),
  ],
  [
    1,
    F.ethernet(
      { ...MAC, etherType: F.ETH.ARP },
      F.arp({ op: 1, senderMac: MAC.src, senderIp: '1.1.1.1', targetMac: MAC.dst, targetIp: '2.2.2.2' }),
    ),
  ],
  [
    113,
    F.sll(
      { protocol: F.ETH.IPV4, addr: MAC.src },
      F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }, F.icmp({ type: 8 }, Buffer.alloc(8))),
    ),
  ],
  [276, F.sll2({ protocol: F.ETH.IPV6 }, F.ipv6({ src: '::1', dst: '::2', nextHeader: 58 }, F.icmpv6({ type: 128 })))],
  [
    0,
    F.nullLink(
      2,
      F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, F.tcp({ sport: 1, dport: 2, seq: 3, flags: 2 })),
    ),
  ],
  [101, F.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, flags: 0, fragOffset: 8, id: 9 }, Buffer.alloc(24))],
];

describe('decoder on hostile bytes', () => {
  it('never throws and never hits its last-resort catch: 100k mutated and cut frames of every kind', () => {
    const next = rng(0xdecade);
    const dec = new PacketDecoder({ defrag: { maxDatagrams: 64 } });
    const p = new DecodedPacket();
    let n = 0;
    const bad: string[] = [];
    for (let round = 0; round < 100_000 / seeds.length; round++) {
      for (const [lt, frame] of seeds) {
        const f = Buffer.from(frame);
        const flips = 1 + Math.floor(next() * 6);
        for (let i = 0; i < flips; i++) f[Math.floor(next() * f.length)] = Math.floor(next() * 256);
        const len = next() < 0.3 ? Math.floor(next() * f.length) : f.length;
        const rec = F.toRecord(f.subarray(0, len), {
          linkType: lt,
          frame: ++n,
          time: 1000 + n * 0.01,
          origLen: next() < 0.5 ? len : f.length,
        });
        try {
          dec.decode(rec, p);
        } catch (e) {
          bad.push(`frame ${n}: threw ${String(e)}`);
        }
        if (p.l4Off > p.l4Buf.length) bad.push(`frame ${n}: l4Off ${p.l4Off} beyond buffer`);
        const limit = p.reassembled ? p.l4Buf.length : rec.offset + rec.capLen;
        if (p.payloadLen < 0 || p.payloadOff + p.payloadLen > limit)
          bad.push(`frame ${n}: payload ${p.payloadOff}+${p.payloadLen} beyond ${limit}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(dec.stats.malformedByReason['internal-error']).toBeUndefined();
    expect(dec.stats.packets).toBe(n);
    expect(dec.stats.malformed).toBeGreaterThan(1000);
    expect(dec.fragmentsInFlight).toBeLessThanOrEqual(64);
  });
});
