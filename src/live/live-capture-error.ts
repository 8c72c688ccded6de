/**
 * Why a live capture could not start (or stopped): each code has its own HTTP status in the API
 * and its own message that says what to do, as the issue asks — no interface, no permission, a
 * filter libpcap refused (its own message), the binding not built.
 */
export type LiveCaptureErrorCode =
  | 'unavailable'
  | 'disabled'
  | 'no-such-interface'
  | 'permission'
  | 'bad-filter'
  | 'busy'
  | 'open-failed'
  | 'capture-failed';

export class LiveCaptureError extends Error {
  constructor(
    readonly code: LiveCaptureErrorCode,
    message: string,
  ) {
    super(message);
  }
}
