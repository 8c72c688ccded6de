import type { ConnectionInfo, RemoteShellEvent, StreamCloseEvent, StreamDataEvent, StreamGapEvent } from '../events';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';

/**
 * BSD r-services (rlogin RFC 1282, rsh/rexec as in rshd(8)/rexecd(8)): the client's first
 * bytes are four NUL-terminated fields —
 *   rlogin: "" clientUser serverUser "term/speed"
 *   rsh:    stderrPort clientUser serverUser command
 *   rexec:  stderrPort user password command
 * The fields are too plain to tell the three apart by content, so the server port (512 exec,
 * 513 login, 514 shell) names the protocol and the content must have the handshake's shape.
 * One event per connection; what follows is the session.
 */

export type RemoteShellProtocol = 'rlogin' | 'rsh' | 'rexec';

export const RSERVICE_PORTS: Record<number, RemoteShellProtocol> = { 512: 'rexec', 513: 'rlogin', 514: 'rsh' };

/** Handshake bytes read at most (the command field can be long; the rest is cut). */
const MAX_HANDSHAKE = 2048;
/** Longest user name kept (BSD limits are 16–32). */
const MAX_USER = 64;

export interface RemoteShellHandlers {
  onRemoteShell?(e: RemoteShellEvent): void;
}

export interface RemoteShellState {
  b: string;
  done: boolean;
}

/**
 * Does the client's first data fit the handshake of `proto`? null: need more bytes. The first
 * field must be empty (rlogin) or decimal digits (a port, possibly empty for rsh/rexec), and the
 * user fields printable.
 */
export function looksLikeRService(b: Buffer, proto: RemoteShellProtocol): boolean | null {
  if (b.length === 0) return null;
  let i = 0;
  if (proto === 'rlogin') {
    if (b[0] !== 0) return false;
    i = 1;
  } else {
    while (i < b.length && i < 6 && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i >= b.length) return null;
    if (b[i] !== 0) return false;
    i++;
  }
  // The next field (a user name) must be printable up to its NUL.
  for (let k = i; k < b.length && k < i + MAX_USER; k++) {
    if (b[k] === 0) return k > i || proto !== 'rlogin';
    if (b[k] < 0x20 || b[k] > 0x7e) return false;
  }
  return b.length < i + MAX_USER ? null : false;
}

export class RemoteShellParser implements StreamParser {
  private buf: Buffer = EMPTY;
  private stopped = false;

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly protocol: RemoteShellProtocol,
    private readonly h: RemoteShellHandlers,
    state?: RemoteShellState,
  ) {
    if (state !== undefined) {
      this.buf = fromB64(state.b);
      this.stopped = state.done;
    }
  }

  get done(): boolean {
    return this.stopped;
  }

  bufferedBytes(): number {
    return this.buf.length;
  }

  onData(e: StreamDataEvent): void {
    if (this.stopped || e.dir !== 'toServer') return;
    const b = appendBytes(this.buf, e.data.subarray(0, MAX_HANDSHAKE - this.buf.length));
    const fields: string[] = [];
    let i = 0;
    while (fields.length < 4) {
      const nul = b.indexOf(0, i);
      if (nul < 0) break;
      fields.push(b.toString('latin1', i, nul));
      i = nul + 1;
    }
    if (fields.length < 4) {
      if (b.length >= MAX_HANDSHAKE) this.stop();
      else this.buf = Buffer.from(b);
      return;
    }
    this.stop();
    const clip = (s: string, n: number) => s.slice(0, n).replace(/[^\x20-\x7e]/g, '?');
    const ev: RemoteShellEvent = {
      conn: this.conn,
      frame: e.frame,
      time: e.time,
      protocol: this.protocol,
      user: clip(fields[2], MAX_USER),
    };
    if (this.protocol === 'rlogin') {
      ev.clientUser = clip(fields[1], MAX_USER);
      ev.terminal = clip(fields[3], 64);
    } else if (this.protocol === 'rsh') {
      ev.clientUser = clip(fields[1], MAX_USER);
      ev.command = clip(fields[3], 512);
    } else {
      ev.user = clip(fields[1], MAX_USER);
      ev.password = fields[2].slice(0, 256);
      ev.command = clip(fields[3], 512);
    }
    this.h.onRemoteShell?.(ev);
  }

  onGap(_e: StreamGapEvent): void {
    this.stop();
  }

  onClose(_e: StreamCloseEvent): void {
    this.stop();
  }

  snapshot(): RemoteShellState {
    return { b: b64(this.buf), done: this.stopped };
  }

  private stop(): void {
    this.stopped = true;
    this.buf = EMPTY;
  }
}
