import fc from 'fast-check';
import type { CaseFailure } from './fuzz-campaign';
import { describe, SlowCase } from './fuzz-errors';
import type { FuzzCase } from './fuzz-target';
import { generatedCase } from './generated-capture';
import { caseSeed } from './prng';

/** Runs in batches: a failure (shrunk by fast-check) ends its batch only, not the run. */
const BATCH = 500;

/**
 * `count` structure-aware cases through `run`, seeded from the run's seed. Yields one failure
 * per failing batch: fast-check's shrunk capture, its message, and the batch's seed and path.
 */
export function* generatedCases(
  seed: number,
  count: number,
  run: (label: string, c: FuzzCase) => void,
): Generator<{ failure: Omit<CaseFailure, 'count'>; error: unknown; case: FuzzCase }> {
  for (let done = 0, batch = 0; done < count; done += BATCH, batch++) {
    const batchSeed = caseSeed(seed ^ 0x5eed, batch) | 0;
    const numRuns = Math.min(BATCH, count - done);
    let i = 0;
    const details = fc.check(
      fc.property(generatedCase, (c) => {
        run(`generated #${done + i++} (batch ${batch}, ${c.packets} packets)`, c);
      }),
      { seed: batchSeed, numRuns, endOnFailure: false },
    );
    if (details.failed && details.counterexample !== null) {
      const [c] = details.counterexample;
      yield {
        failure: {
          kind: details.errorInstance instanceof SlowCase ? 'slow' : 'exception',
          label: `generated batch ${batch} (${c.packets} packets after shrinking)`,
          message: describe(details.errorInstance),
          bytes: c.bytes,
          reproduce: `fast-check seed ${batchSeed} path ${details.counterexamplePath ?? ''}`,
        },
        error: details.errorInstance,
        case: c,
      };
    }
  }
}
