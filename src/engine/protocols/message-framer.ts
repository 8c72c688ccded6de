import type { Direction } from '../events';
import { appendBytes, b64, EMPTY, fromB64 } from './stream-parser';

/** Snapshot of a MessageFramer: per direction [toServer, toClient], pending bytes (base64) and bytes still to skip. */
export interface FramerState {
  p: [string, string];
  k: [number, number];
}

/**
 * The per-direction input of a parser whose messages carry their length up front (LDAP's BER
 * SEQUENCE, SMB's NetBIOS header): the incomplete tail kept between data events, and how many
 * bytes of a message that is passed over unread (too large, or only its head matters) are still
 * to come, so the next message is found by length without buffering the one passed over.
 * The parser frames the bytes `input()` gives, calls `pass()` for each message it is done
 * with, and `keep()` with where it stopped.
 */
export class MessageFramer {
  private pending: [Buffer, Buffer] = [EMPTY, EMPTY];
  private skip: [number, number] = [0, 0];

  constructor(state?: FramerState) {
    if (state !== undefined) {
      this.pending = [fromB64(state.p[0]), fromB64(state.p[1])];
      this.skip = [state.k[0], state.k[1]];
    }
  }

  bufferedBytes(): number {
    return this.pending[0].length + this.pending[1].length;
  }

  /** The bytes to frame in `dir`: the pending tail then `data`, less what is left to skip; null when nothing remains. */
  input(dir: Direction, data: Buffer): Buffer | null {
    const i = dir === 'toServer' ? 0 : 1;
    if (this.skip[i] > 0) {
      const n = Math.min(this.skip[i], data.length);
      this.skip[i] -= n;
      data = data.subarray(n);
      if (data.length === 0) return null;
    }
    return appendBytes(this.pending[i], data);
  }

  /**
   * Done with the `size`-byte message at `off` of `b`: the offset after it, or `b.length` with
   * the part not yet received to be skipped from the next data events.
   */
  pass(dir: Direction, b: Buffer, off: number, size: number): number {
    const have = b.length - off;
    if (have >= size) return off + size;
    this.skip[dir === 'toServer' ? 0 : 1] = size - have;
    return b.length;
  }

  /** Keep `b` from `off` on (a private copy: `b` may be a view of a larger buffer) for the next data event. */
  keep(dir: Direction, b: Buffer, off: number): void {
    this.pending[dir === 'toServer' ? 0 : 1] = off >= b.length ? EMPTY : Buffer.from(b.subarray(off));
  }

  /** Forget everything (the parser stopped). */
  clear(): void {
    this.pending = [EMPTY, EMPTY];
    this.skip = [0, 0];
  }

  snapshot(): FramerState {
    return { p: [b64(this.pending[0]), b64(this.pending[1])], k: [this.skip[0], this.skip[1]] };
  }
}
