import type { BaselineMode } from '../../src/engine/baseline/baseline-session';
import { mutateCapture, type Mutation } from './byte-mutator';
import type { FuzzCase } from './fuzz-target';
import { Prng } from './prng';
import { seedWindow, type SeedCapture } from './seed-corpus';

/** One byte-level case, entirely determined by its seed (so `FUZZ_ONLY` re-runs it alone). */
export interface MutationCase extends FuzzCase {
  seedName: string;
  applied: Mutation[];
}

const BASELINE_MODES: readonly BaselineMode[] = ['detect', 'auto'];

export function mutationCase(seeds: readonly SeedCapture[], caseSeed: number): MutationCase {
  const r = new Prng(caseSeed);
  const seed = r.pick(seeds);
  const donor = r.pick(seeds);
  const { bytes, applied } = mutateCapture(seedWindow(seed, r), seedWindow(donor, r), r);
  return {
    seedName: seed.name,
    applied,
    bytes,
    cutAt: r.int(1 << 20),
    // Mostly whole reads (the reader's zero-copy path); sometimes small pieces, so units straddle them.
    pieceSize: r.chance(0.8) ? bytes.length : 1 + r.int(r.chance(0.5) ? 16 : 2048),
    baselineMode: r.pick(BASELINE_MODES),
    tightCaps: r.chance(0.3),
  };
}
