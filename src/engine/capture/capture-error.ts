/**
 * Why a capture could not be read (further). Carries the source name and the byte offset so
 * the CLI and the API can print one precise line instead of a stack trace.
 */
export type CaptureErrorCode =
  | 'not-a-capture' // unknown magic: names the first bytes
  | 'truncated' // input ended inside a header, record or block
  | 'bad-length' // absurd record/block length (caplen > limit, block length % 4 != 0, ...)
  | 'bad-format' // structurally invalid (e.g. EPB before any SHB/IDB, unknown interface id)
  | 'empty'; // zero-length input

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    /** File name or "stdin" / upload name. */
    readonly source: string,
    /** Byte offset in the input where the problem starts. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${source}: ${reason} at byte offset ${offset}`);
    this.name = 'CaptureError';
  }
}
