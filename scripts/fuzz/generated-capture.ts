import fc from 'fast-check';
import type { BaselineMode } from '../../src/engine/baseline/baseline-session';
import { ngEpb, ngIdb, ngShb, ngSpb, synthPcap } from '../../src/engine/capture/synthetic-captures';
import * as F from '../../test/support/frame-builder';
import type { FuzzCase } from './fuzz-target';
import { traffic, type L3Packet } from './traffic-arbitraries';

/**
 * Well-formed capture files around generated traffic: classic pcap (either byte order, micro or
 * nanoseconds) or pcapng (either byte order, odd if_tsresol and if_tsoffset, some packets as
 * Simple Packet Blocks), on Ethernet (0–2 VLAN tags), Linux SLL/SLL2, raw IP or BSD null links.
 */
type Link = 'ethernet' | 'sll' | 'sll2' | 'raw' | 'null';
const LINK_TYPES: Record<Link, number> = { ethernet: 1, sll: 113, sll2: 276, raw: 101, null: 0 };

interface Container {
  ng: boolean;
  le: boolean;
  nanos: boolean;
  link: Link;
  vlan: number[];
  tsresol: number | undefined;
  tsoffset: bigint | undefined;
  spbEvery: number;
}

const container: fc.Arbitrary<Container> = fc.record({
  ng: fc.boolean(),
  le: fc.boolean(),
  nanos: fc.boolean(),
  link: fc.constantFrom<Link>('ethernet', 'ethernet', 'ethernet', 'sll', 'sll2', 'raw', 'null'),
  vlan: fc.array(fc.nat(4095), { maxLength: 2 }),
  tsresol: fc.option(fc.constantFrom(3, 6, 9, 0x94, 0x8a), { nil: undefined }),
  tsoffset: fc.option(fc.constantFrom(0n, 3600n, -1_700_000_000n), { nil: undefined }),
  spbEvery: fc.constantFrom(0, 0, 0, 3),
});

function frameOf(p: L3Packet, c: Container): Buffer | null {
  switch (c.link) {
    case 'ethernet':
      return F.ethernet({ src: p.srcMac, dst: p.dstMac, etherType: p.etherType, vlan: c.vlan }, p.data);
    case 'sll':
      return F.sll({ protocol: p.etherType, addr: p.srcMac }, p.data);
    case 'sll2':
      return F.sll2({ protocol: p.etherType, addr: p.srcMac }, p.data);
    case 'raw':
      return p.etherType === F.ETH.ARP ? null : p.data;
    case 'null':
      return p.etherType === F.ETH.ARP ? null : F.nullLink(p.etherType === F.ETH.IPV6 ? 30 : 2, p.data);
  }
}

/** Ticks per second of an if_tsresol byte (10^-n, or 2^-n with the top bit). */
function ticksPerSecond(tsresol: number | undefined): bigint {
  const r = tsresol ?? 6;
  return r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
}

export function captureFile(packets: L3Packet[], c: Container): Buffer {
  const frames: Array<{ time: number; data: Buffer }> = [];
  let t = 1_700_000_000;
  for (const p of packets) {
    t = Math.max(0, t + p.dt);
    const data = frameOf(p, c);
    if (data !== null) frames.push({ time: t, data });
  }
  const linkType = LINK_TYPES[c.link];
  if (!c.ng) {
    const unit = c.nanos ? 1e9 : 1e6;
    return synthPcap(
      { littleEndian: c.le, nanosecond: c.nanos, linkType },
      frames.map((f) => ({ tsSec: Math.floor(f.time), tsFrac: Math.floor((f.time % 1) * unit), data: f.data })),
    );
  }
  const tps = ticksPerSecond(c.tsresol);
  const blocks = [ngShb(c.le), ngIdb(c.le, linkType, { tsresol: c.tsresol, tsoffset: c.tsoffset })];
  frames.forEach((f, i) => {
    const secs = BigInt(Math.floor(f.time)) - (c.tsoffset ?? 0n);
    const ts = secs * tps + BigInt(Math.floor((f.time % 1) * Number(tps > 1_000_000_000n ? 1_000_000_000n : tps)));
    blocks.push(
      c.spbEvery > 0 && i % c.spbEvery === 2 ? ngSpb(c.le, f.data) : ngEpb(c.le, 0, ts < 0n ? 0n : ts, f.data),
    );
  });
  return Buffer.concat(blocks);
}

export interface GeneratedCase extends FuzzCase {
  packets: number;
}

const BASELINE_MODES: readonly BaselineMode[] = ['detect', 'auto'];

export const generatedCase: fc.Arbitrary<GeneratedCase> = fc
  .tuple(
    traffic,
    container,
    fc.nat(),
    fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 600 })),
    fc.constantFrom(...BASELINE_MODES),
    fc.boolean(),
  )
  .map(([packets, c, cutAt, piece, baselineMode, tight]) => {
    const bytes = captureFile(packets, c);
    return {
      bytes,
      packets: packets.length,
      cutAt,
      pieceSize: piece === 0 ? bytes.length : piece,
      baselineMode,
      tightCaps: tight,
    };
  });
