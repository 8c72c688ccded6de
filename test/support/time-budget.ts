/**
 * Timeouts for tests whose work is large and fixed — a walk over many captures, a replay at a
 * recording's own timing, a capture cut at every packet. Each call site passes what the test took
 * under `npm run test:stress` (a busy loop per core beside the suite, on the 2-core machine CI runs
 * on), measured and written beside the call. The suite was seen failing at a load of 7–8 on two
 * cores (issue 14), about twice what test:stress makes, so the budget is six times the stress
 * measurement: a timeout means a hang, not a busy machine. TEST_TIME_SCALE (a number, default 1)
 * stretches every budget on a machine slower still.
 */
export function budgetMs(measuredUnderStressMs: number): number {
  const raw = Number(process.env.TEST_TIME_SCALE ?? '1');
  const scale = Number.isFinite(raw) && raw > 0 ? raw : 1;
  return Math.ceil(measuredUnderStressMs * 6 * scale);
}
