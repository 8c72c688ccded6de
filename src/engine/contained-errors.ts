/**
 * Exceptions caught inside one analysis. Packets are attacker-controlled, so a bug a packet can
 * reach in one parser or detector must cost that connection's parse or that detector's view of
 * one event — never the rest of the capture (issue 13: an empty certificate DN ended `analyze`
 * with exit 70 and failed the capture in the workers). Each place that failed is counted with
 * its first frame and message, carried across chunks in the pipeline's state, and reported in
 * the analysis' `errors` so the gap is visible instead of silent.
 */

export interface ContainedError {
  /** How many exceptions this place threw. */
  count: number;
  /** Frame being analysed when the first one was thrown. */
  frame: number;
  /** The first one's class and message (no stack: errors end up in API answers). */
  message: string;
}

/** By place: "detector tls-certificate", "parser tls", "decoder", "reassembly", … */
export type ContainedErrors = Record<string, ContainedError>;

const MAX_MESSAGE = 200;

/** `TypeError: Cannot read …`, one line, bounded, without control characters. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `thrown ${typeof err}: ${String(err as string)}`;
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

export class ErrorContainment {
  private errors: ContainedErrors = {};

  /** @param strict rethrow instead of counting (fuzzing and tests want the exception itself). */
  constructor(private readonly strict = false) {}

  record(where: string, err: unknown, frame: number): void {
    if (this.strict) throw err;
    const e = this.errors[where];
    if (e !== undefined) e.count++;
    else this.errors[where] = { count: 1, frame, message: describeError(err) };
  }

  get total(): number {
    let n = 0;
    for (const k in this.errors) n += this.errors[k].count;
    return n;
  }

  snapshot(): ContainedErrors {
    const out: ContainedErrors = {};
    for (const [k, v] of Object.entries(this.errors)) out[k] = { ...v };
    return out;
  }

  restore(s: ContainedErrors | undefined): void {
    this.errors = {};
    for (const [k, v] of Object.entries(s ?? {})) this.errors[k] = { ...v };
  }
}

/**
 * The notes an analysis adds to its `errors` (offset -1: not about a byte of the input), the same
 * in `netwarden analyze`, the workers and `netwarden monitor`.
 */
export function containedErrorNotes(
  source: string,
  errors: ContainedErrors,
): Array<{ offset: number; message: string }> {
  return Object.entries(errors)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([where, e]) => ({
      offset: -1,
      message:
        `${source}: internal error in ${where}, contained ${e.count === 1 ? 'once' : `${e.count} times`} ` +
        `(first at frame ${e.frame}: ${e.message}); the rest of the capture was analysed`,
    }));
}
