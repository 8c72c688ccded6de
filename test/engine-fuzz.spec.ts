import { randomInt } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector, DetectorContext } from '../src/engine/detectors/detector';
import { PROTOCOL_NAMES } from '../src/engine/protocols/protocol-dispatcher';
import { runCampaign, type CampaignReport } from '../scripts/fuzz/fuzz-campaign';
import { buildFuzzEngine } from '../scripts/fuzz/fuzz-engine';
import { ChunkingMismatch } from '../scripts/fuzz/fuzz-errors';
import { runFuzzCase, type FuzzEngine } from '../scripts/fuzz/fuzz-target';
import { loadSeedCorpus } from '../scripts/fuzz/seed-corpus';
import { SHARED_PCAPS } from './support/paths';

/**
 * The short CI run of the engine fuzzer (`npm run fuzz` is the long one): a fixed seed, so a
 * regression shows on every run, and a random seed, printed, so CI keeps exploring. Budgeted by
 * case count (≈ 5 ms of CPU a case), not by wall time: a loaded machine runs it slower, not less.
 */
const FIXED_SEED = 13;
const FIXED_CASES = 1600;
const RANDOM_CASES = 800;
const HEAP_LIMIT_MB = 512;

const engine = buildFuzzEngine(SHARED_PCAPS);
const seeds = loadSeedCorpus(SHARED_PCAPS);

function explain(r: CampaignReport): string[] {
  return r.failures.map((f) => `[${f.kind}] ${f.label}: ${f.message}\n  reproduce: ${f.reproduce}`);
}

describe('engine fuzzing (short run)', () => {
  it('takes every capture of the shared corpus as a seed, each split into units the mutator can aim at', () => {
    const files = ['attacks', 'public', 'robustness'].flatMap((d) =>
      readdirSync(join(SHARED_PCAPS, d)).map((f) => `${d}/${f}`),
    );
    expect(seeds.map((s) => s.name).sort()).toEqual(files.sort());
    expect(seeds.filter((s) => s.layout === null || s.layout.units.length === 0).map((s) => s.name)).toEqual([]);
  });

  for (const [name, seed, cases] of [
    ['fixed', FIXED_SEED, FIXED_CASES],
    ['random', randomInt(2 ** 31), RANDOM_CASES],
  ] as const) {
    it(`${cases} cases from the ${name} seed ${seed}: no exception, same findings when cut, bounded CPU and heap`, () => {
      process.stdout.write(
        `engine fuzz: ${name} seed ${seed} (reproduce: FUZZ_SEED=${seed} FUZZ_CASES=${cases} npm run fuzz)\n`,
      );
      const r = runCampaign({ seed, cases, engine, seeds, heapLimitMb: HEAP_LIMIT_MB });
      expect(explain(r)).toEqual([]);
      expect(r.cases).toBe(cases);
      expect(r.mutated + r.generated).toBe(cases);
      // The cases reach everything: refused containers, decoded packets, findings.
      expect(r.captureErrors).toBeGreaterThan(cases / 20);
      expect(r.packets).toBeGreaterThan(cases * 5);
      expect(r.findings).toBeGreaterThan(cases);
      expect(r.heapMaxMb).toBeLessThan(HEAP_LIMIT_MB);
      // Every parser got data in some case of the fixed run (the rarest, TFTP, in a few per thousand:
      // a random run of this size may miss it). Printed either way: which detectors reported, how often.
      if (name === 'fixed') expect(PROTOCOL_NAMES.filter((p) => !r.reached[`parser:${p}`])).toEqual([]);
      process.stdout.write(`engine fuzz: ${name} seed reached ${JSON.stringify(r.reached)}\n`);
    }, 600_000);
  }
});

/** A detector whose snapshot forgets what it counted: chunked runs must then disagree. */
class ForgetfulCounter implements Partial<Detector> {
  readonly id = 'forgetful-counter';
  private packets = 0;
  snapshot(): unknown {
    return {};
  }
  restore(): void {
    this.packets = 0;
  }
  onPacket(): void {
    this.packets++;
  }
  flush(ctx: DetectorContext): void {
    ctx.report({
      key: 'n',
      type: 'count',
      severity: 'info',
      title: 't',
      description: `${this.packets}`,
      time: 0,
      frame: 1,
    });
  }
}

describe('engine fuzzing: the oracles bite', () => {
  const sample = seeds.find((s) => s.name === 'attacks/clean-web.pcap')!.bytes;

  it('a detector whose state does not survive snapshot/restore is caught', () => {
    const faulty: FuzzEngine = { ...engine, extraDetectors: () => [new ForgetfulCounter() as unknown as Detector] };
    const c = { bytes: sample, cutAt: 10, pieceSize: sample.length, baselineMode: 'detect' as const };
    expect(() => runFuzzCase(engine, c)).not.toThrow();
    expect(() => runFuzzCase(faulty, c)).toThrow(ChunkingMismatch);
  });

  it('an exception from a detector reaches the campaign as a failure with its capture', () => {
    const throwing: FuzzEngine = {
      ...engine,
      extraDetectors: () => [
        {
          id: 'thrower',
          snapshot: () => ({}),
          restore: () => undefined,
          onPacket: () => {
            throw new Error('planted');
          },
        } as unknown as Detector,
      ],
    };
    const r = runCampaign({ seed: 1, cases: 40, engine: throwing, seeds, mutationShare: 1 });
    expect(r.failures.map((f) => [f.kind, f.message.split('\n')[0]])).toEqual([['exception', 'Error: planted']]);
    expect(r.failures[0].count).toBeGreaterThan(1);
    expect(r.failures[0].bytes!.length).toBeGreaterThan(0);
  });

  it('a case over its CPU bound and a heap over its bound are failures', () => {
    const slow = runCampaign({ seed: 1, cases: 20, engine, seeds, mutationShare: 1, caseCpuMs: -1 });
    expect(slow.failures[0].kind).toBe('slow');
    const heap = runCampaign({ seed: 1, cases: 200, engine, seeds, mutationShare: 1, heapLimitMb: 1 });
    expect(heap.failures.map((f) => f.kind)).toEqual(['heap']);
  });
});
