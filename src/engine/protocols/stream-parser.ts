import type { StreamCloseEvent, StreamDataEvent, StreamGapEvent } from '../events';

/**
 * One protocol parser attached to one TCP connection. Parsers keep all their state in fields
 * that `snapshot()` turns into JSON (pending bytes as base64), so a capture cut into chunks at
 * any packet gives the same events as a single pass.
 */
export interface StreamParser {
  onData(e: StreamDataEvent): void;
  onGap(e: StreamGapEvent): void;
  onClose(e: StreamCloseEvent): void;
  /** Nothing more will be parsed on this connection (encrypted, not this protocol, finished). */
  readonly done: boolean;
  /**
   * Bytes this parser holds between data events (pending input, kept bodies, handshake
   * fragments, collected reply lines): what the dispatcher's global budget counts. Must be
   * cheap (a few field reads: it runs after every data event) and a function of the parser's
   * state only, so it is the same after snapshot/restore.
   */
  bufferedBytes(): number;
  snapshot(): unknown;
}

/** Append `data` to `pending` without copying when nothing is pending. */
export function appendBytes(pending: Buffer, data: Buffer): Buffer {
  return pending.length === 0 ? data : Buffer.concat([pending, data]);
}

export const EMPTY = Buffer.alloc(0);

export function b64(b: Buffer): string {
  return b.toString('base64');
}

export function fromB64(s: unknown): Buffer {
  return typeof s === 'string' && s.length > 0 ? Buffer.from(s, 'base64') : EMPTY;
}
