import type { ConnectionInfo, StreamCloseEvent, StreamDataEvent, StreamGapEvent, VncHandshakeEvent } from '../events';
import { b64, EMPTY, fromB64, type StreamParser } from './stream-parser';

/**
 * VNC / RFB handshake (RFC 6143 §7.1): the server's "RFB xxx.yyy\n", the client's answer, then
 * the security types — 3.3: the server imposes one as a u32; 3.7 and later: the server lists
 * them (u8 count + types) and the client picks one byte. The first bytes of each direction
 * (bounded) are kept and re-read after each event, so the state is just those bytes; once the
 * type in use is known the event is sent and parsing ends (what follows is the session).
 */

const KEEP = 300;
const BANNER = /^RFB (\d{3})\.(\d{3})\n/;

export interface VncHandlers {
  onVncHandshake?(e: VncHandshakeEvent): void;
}

export interface VncState {
  c: string;
  s: string;
  done: boolean;
}

/** true/false, or null: need more bytes. */
export function looksLikeRfb(b: Buffer): boolean | null {
  const want = 'RFB 0';
  const n = Math.min(b.length, want.length);
  for (let i = 0; i < n; i++) if (b[i] !== want.charCodeAt(i)) return false;
  return n === want.length ? true : null;
}

interface Parsed {
  serverVersion?: string;
  clientVersion?: string;
  offered: number[];
  chosen?: number;
}

/** Read what the two prefixes say so far. */
function parse(server: Buffer, client: Buffer): Parsed {
  const out: Parsed = { offered: [] };
  const sv = BANNER.exec(server.toString('latin1', 0, Math.min(server.length, 12)));
  if (sv === null) return out;
  out.serverVersion = `${sv[1]}.${sv[2]}`;
  const cv = BANNER.exec(client.toString('latin1', 0, Math.min(client.length, 12)));
  if (cv === null) return out;
  out.clientVersion = `${cv[1]}.${cv[2]}`;
  // The version in use is the client's (it may not exceed the server's). 3.889 is Apple's 3.8.
  const major = Number(cv[1]);
  const minor = Number(cv[2]);
  const v33 = major === 3 && minor < 7;
  if (v33) {
    if (server.length >= 16) {
      const t = server.readUInt32BE(12);
      out.offered = [t];
      if (t !== 0) out.chosen = t;
    }
    return out;
  }
  if (server.length < 13) return out;
  const n = server[12];
  if (server.length < 13 + n) return out;
  out.offered = [...server.subarray(13, 13 + n)];
  if (n > 0 && client.length >= 13) out.chosen = client[12];
  return out;
}

export class VncParser implements StreamParser {
  private server: Buffer = EMPTY;
  private client: Buffer = EMPTY;
  private stopped = false;
  private frame = 0;
  private time = 0;

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly h: VncHandlers,
    state?: VncState,
  ) {
    if (state !== undefined) {
      this.client = fromB64(state.c);
      this.server = fromB64(state.s);
      this.stopped = state.done;
    }
  }

  get done(): boolean {
    return this.stopped;
  }

  bufferedBytes(): number {
    return this.client.length + this.server.length;
  }

  onData(e: StreamDataEvent): void {
    if (this.stopped) return;
    this.frame = e.frame;
    this.time = e.time;
    const cur = e.dir === 'toServer' ? this.client : this.server;
    if (cur.length < KEEP) {
      const add = e.data.subarray(0, KEEP - cur.length);
      const next = Buffer.concat([cur, add]);
      if (e.dir === 'toServer') this.client = next;
      else this.server = next;
    }
    const p = parse(this.server, this.client);
    if (p.serverVersion === undefined && this.server.length >= 12) return this.finish(null);
    if (p.chosen !== undefined) return this.finish(p);
    // A 3.7+ server that offers no type is refusing the connection (a reason string follows).
    if (p.clientVersion !== undefined && p.offered.length === 0 && this.server.length >= 13 && this.server[12] === 0)
      return this.finish(p);
  }

  onGap(_e: StreamGapEvent): void {
    this.finish(parse(this.server, this.client));
  }

  onClose(e: StreamCloseEvent): void {
    if (this.stopped) return;
    this.frame = e.frame;
    this.time = e.time;
    this.finish(parse(this.server, this.client));
  }

  snapshot(): VncState {
    return { c: b64(this.client), s: b64(this.server), done: this.stopped };
  }

  private finish(p: Parsed | null): void {
    if (this.stopped) return;
    this.stopped = true;
    this.client = EMPTY;
    this.server = EMPTY;
    if (p === null || p.serverVersion === undefined) return;
    const ev: VncHandshakeEvent = {
      conn: this.conn,
      frame: this.frame,
      time: this.time,
      serverVersion: p.serverVersion,
      offered: p.offered,
    };
    if (p.clientVersion !== undefined) ev.clientVersion = p.clientVersion;
    if (p.chosen !== undefined) ev.chosen = p.chosen;
    this.h.onVncHandshake?.(ev);
  }
}
