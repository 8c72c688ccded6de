import type {
  ConnectionInfo,
  HttpHeader,
  HttpRequestEvent,
  HttpResponseEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
} from '../events';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';
import { headerValue } from './http-content';

/**
 * HTTP/1.x (RFC 9112) both directions: pipelined messages, Content-Length and chunked bodies,
 * bodies delimited by connection close. The first `maxBody` bytes of each body are kept, request
 * and response alike (form/credential inspection, login pages), with chunk framing removed but
 * any Content-Encoding left as sent; the rest is counted. A body cut short by a gap or the end
 * of the connection is delivered as far as it went. Heads are bounded in bytes and header
 * count. A direction that stops looking like HTTP is abandoned quietly.
 */

export interface HttpHandlers {
  onHttpRequest?(e: HttpRequestEvent): void;
  onHttpResponse?(e: HttpResponseEvent): void;
}

export interface HttpParserOptions {
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBody: number;
}

const enum M {
  Head = 0,
  Body = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkEnd = 4,
  Trailer = 5,
  CloseBody = 6,
  Dead = 7,
}

interface Message {
  a: string; // method | version
  b: string; // target | status
  c: string; // version | reason
  headers: HttpHeader[];
}

interface DirState {
  mode: M;
  pending: Buffer;
  msg: Message | null;
  remaining: number;
  bodyLength: number;
  /** Kept body bytes, joined when the message completes (no quadratic re-copying per segment). */
  parts: Buffer[];
  /** Bytes in `parts`; set to maxBody after a gap inside the body so no bytes past a hole are kept. */
  kept: number;
  /** Bytes really in `parts` (kept may be raised past it by a gap) and in `msg`: for bufferedBytes(). */
  held: number;
  msgBytes: number;
}

export interface HttpState {
  d: {
    mode: number;
    pending: string;
    msg: Message | null;
    remaining: number;
    bodyLength: number;
    body: string;
    kept: number;
  }[];
  methods: string[];
}

const REQUEST_LINE = /^([A-Z][A-Z_-]{0,23}) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;
const MAX_METHODS = 64;
const MAX_CHUNK_LINE = 1024;

function newDir(): DirState {
  return {
    mode: M.Head,
    pending: EMPTY,
    msg: null,
    remaining: 0,
    bodyLength: 0,
    parts: [],
    kept: 0,
    held: 0,
    msgBytes: 0,
  };
}

/** What a parsed head holds (its strings), computed the same way after a restore. */
function msgBytes(m: Message | null): number {
  if (m === null) return 0;
  let n = m.a.length + m.b.length + m.c.length;
  for (let i = 0; i < m.headers.length; i++) n += m.headers[i].name.length + m.headers[i].value.length;
  return n;
}

function joined(parts: Buffer[]): Buffer {
  return parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export class HttpParser implements StreamParser {
  private readonly d: [DirState, DirState] = [newDir(), newDir()];
  /** Methods of requests whose responses have not been seen (HEAD responses have no body). */
  private methods: string[] = [];

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly h: HttpHandlers,
    private readonly opts: HttpParserOptions,
    state?: HttpState,
  ) {
    if (state !== undefined) {
      for (let i = 0; i < 2; i++) {
        const s = state.d[i];
        const body = fromB64(s.body);
        this.d[i] = {
          mode: s.mode,
          pending: fromB64(s.pending),
          msg: s.msg,
          remaining: s.remaining,
          bodyLength: s.bodyLength,
          parts: [body],
          kept: s.kept,
          held: body.length,
          msgBytes: msgBytes(s.msg),
        };
      }
      this.methods = state.methods.slice();
    }
  }

  get done(): boolean {
    return this.d[0].mode === M.Dead && this.d[1].mode === M.Dead;
  }

  bufferedBytes(): number {
    const a = this.d[0];
    const b = this.d[1];
    return a.pending.length + a.held + a.msgBytes + b.pending.length + b.held + b.msgBytes;
  }

  onData(e: StreamDataEvent): void {
    const i = e.dir === 'toServer' ? 0 : 1;
    const s = this.d[i];
    if (s.mode === M.Dead) return;
    const buf = appendBytes(s.pending, e.data);
    s.pending = EMPTY;
    let pos = 0;
    while (pos < buf.length && (s.mode as M) !== M.Dead) {
      const before = pos;
      pos = this.step(i, s, buf, pos, e);
      if (pos === before) break; // needs more bytes
    }
    if ((s.mode as M) !== M.Dead && pos < buf.length) {
      const rest = buf.length - pos;
      const cap = s.mode === M.Head || s.mode === M.Trailer ? this.opts.maxHeaderBytes : MAX_CHUNK_LINE;
      if (rest > cap) this.kill(s);
      else s.pending = Buffer.from(buf.subarray(pos));
    }
  }

  onGap(e: StreamGapEvent): void {
    const s = this.d[e.dir === 'toServer' ? 0 : 1];
    if ((s.mode === M.Body || s.mode === M.ChunkData) && e.length <= s.remaining) {
      s.kept = this.opts.maxBody; // the kept prefix ends at the hole
      s.remaining -= e.length;
      s.bodyLength += e.length;
      if (s.mode === M.ChunkData && s.remaining === 0) s.mode = M.ChunkEnd;
      else if (s.mode === M.Body && s.remaining === 0) this.complete(e.dir === 'toServer' ? 0 : 1, s, e.frame, e.time);
      return;
    }
    if (s.mode === M.CloseBody) {
      s.kept = this.opts.maxBody;
      s.bodyLength += e.length;
      return;
    }
    this.kill(s); // framing lost
  }

  onClose(e: StreamCloseEvent): void {
    for (let i = 0; i < 2; i++) {
      const s = this.d[i];
      // A body cut by the end of the connection: report what was seen.
      if (s.msg !== null && s.mode !== M.Head && s.mode !== M.Dead) this.complete(i, s, e.frame, e.time);
      this.kill(s);
    }
  }

  snapshot(): HttpState {
    return {
      d: this.d.map((s) => ({
        mode: s.mode,
        pending: b64(s.pending),
        msg: s.msg,
        remaining: s.remaining,
        bodyLength: s.bodyLength,
        body: b64(joined(s.parts)),
        kept: s.kept,
      })),
      methods: this.methods.slice(),
    };
  }

  private kill(s: DirState): void {
    s.mode = M.Dead;
    s.pending = EMPTY;
    s.msg = null;
    s.msgBytes = 0;
    s.parts = [];
    s.kept = 0;
    s.held = 0;
  }

  /** One parsing step from `pos`; returns the new position (unchanged when more bytes are needed). */
  private step(i: number, s: DirState, buf: Buffer, pos: number, e: StreamDataEvent): number {
    switch (s.mode) {
      case M.Head:
        return this.head(i, s, buf, pos, e);
      case M.Body:
      case M.ChunkData:
      case M.CloseBody: {
        const avail = buf.length - pos;
        const n = s.mode === M.CloseBody ? avail : Math.min(avail, s.remaining);
        this.keepBody(s, buf, pos, n);
        s.bodyLength += n;
        if (s.mode !== M.CloseBody) s.remaining -= n;
        if (s.mode === M.Body && s.remaining === 0) this.complete(i, s, e.frame, e.time);
        else if (s.mode === M.ChunkData && s.remaining === 0) s.mode = M.ChunkEnd;
        return pos + n;
      }
      case M.ChunkEnd: {
        if (buf[pos] === 10) {
          s.mode = M.ChunkSize;
          return pos + 1;
        }
        if (buf[pos] !== 13) {
          this.kill(s);
          return pos;
        }
        if (pos + 1 >= buf.length) return pos;
        if (buf[pos + 1] !== 10) {
          this.kill(s);
          return pos;
        }
        s.mode = M.ChunkSize;
        return pos + 2;
      }
      case M.ChunkSize: {
        const lf = buf.indexOf(10, pos);
        if (lf < 0) return pos;
        const line = buf.toString('latin1', pos, lf).trim();
        const m = /^([0-9a-fA-F]{1,12})(;.*)?$/.exec(line);
        if (m === null) {
          this.kill(s);
          return pos;
        }
        const size = parseInt(m[1], 16);
        if (size === 0) s.mode = M.Trailer;
        else {
          s.mode = M.ChunkData;
          s.remaining = size;
        }
        return lf + 1;
      }
      case M.Trailer: {
        const lf = buf.indexOf(10, pos);
        if (lf < 0) return pos;
        const empty = lf === pos || (lf === pos + 1 && buf[pos] === 13);
        if (empty) this.complete(i, s, e.frame, e.time);
        return lf + 1;
      }
      default:
        return pos;
    }
  }

  private keepBody(s: DirState, buf: Buffer, pos: number, n: number): void {
    if (n === 0) return;
    const room = this.opts.maxBody - s.kept;
    if (room <= 0) return;
    const take = n < room ? n : room;
    // A slice, not a copy: data events and the pending buffer are the parser's to keep.
    s.parts.push(buf.subarray(pos, pos + take));
    s.kept += take;
    s.held += take;
  }

  private head(i: number, s: DirState, buf: Buffer, pos: number, e: StreamDataEvent): number {
    // Tolerate blank lines between messages (RFC 9112 §2.2).
    while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
    if (pos >= buf.length) return pos;
    // Reject non-HTTP early, before buffering a whole head's worth of bytes.
    const c = buf[pos];
    if (c < 0x41 || c > 0x5a) {
      this.kill(s);
      return pos;
    }
    let end = buf.indexOf('\r\n\r\n', pos, 'latin1');
    let sepLen = 4;
    if (end < 0) {
      end = buf.indexOf('\n\n', pos, 'latin1');
      sepLen = 2;
    }
    if (end < 0) return pos;
    if (end - pos > this.opts.maxHeaderBytes) {
      this.kill(s);
      return pos;
    }
    const lines = buf.toString('latin1', pos, end).split(/\r?\n/);
    const first = lines[0];
    let msg: Message;
    if (i === 0) {
      const m = REQUEST_LINE.exec(first);
      if (m === null) {
        this.kill(s);
        return pos;
      }
      msg = { a: m[1], b: m[2], c: m[3], headers: [] };
    } else {
      const m = STATUS_LINE.exec(first);
      if (m === null) {
        this.kill(s);
        return pos;
      }
      msg = { a: m[1], b: m[2], c: m[3] ?? '', headers: [] };
    }
    for (let k = 1; k < lines.length && msg.headers.length < this.opts.maxHeaders; k++) {
      const line = lines[k];
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      msg.headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
    s.msg = msg;
    s.msgBytes = msgBytes(msg);
    s.parts = [];
    s.kept = 0;
    s.held = 0;
    s.bodyLength = 0;
    s.remaining = 0;
    const te = headerValue(msg.headers, 'transfer-encoding');
    const cl = headerValue(msg.headers, 'content-length');
    const chunked = te !== undefined && /chunked\s*$/i.test(te);
    const len = cl !== undefined && /^\d{1,15}$/.test(cl) ? Number(cl) : -1;
    let noBody = false;
    if (i === 0) {
      if (this.methods.length < MAX_METHODS) this.methods.push(msg.a);
    } else {
      const status = Number(msg.b);
      if (status >= 100 && status < 200) noBody = true;
      else {
        const method = this.methods.length > 0 ? (this.methods.shift() as string) : '';
        noBody = status === 204 || status === 304 || method === 'HEAD' || (method === 'CONNECT' && status < 300);
      }
    }
    const next = end + sepLen;
    if (noBody) this.complete(i, s, e.frame, e.time);
    else if (chunked) s.mode = M.ChunkSize;
    else if (len > 0) {
      s.mode = M.Body;
      s.remaining = len;
    } else if (len === 0 || i === 0) this.complete(i, s, e.frame, e.time);
    else s.mode = M.CloseBody;
    return next;
  }

  private complete(i: number, s: DirState, frame: number, time: number): void {
    const msg = s.msg;
    s.mode = M.Head;
    s.msg = null;
    s.msgBytes = 0;
    s.remaining = 0;
    if (msg === null) return;
    if (i === 0) {
      if (this.h.onHttpRequest !== undefined) {
        const ev: HttpRequestEvent = {
          conn: this.conn,
          frame,
          time,
          method: msg.a,
          target: msg.b,
          version: msg.c,
          headers: msg.headers,
          body: joined(s.parts),
          bodyLength: s.bodyLength,
        };
        const host = headerValue(msg.headers, 'host');
        if (host !== undefined) ev.host = host;
        this.h.onHttpRequest(ev);
      }
    } else if (this.h.onHttpResponse !== undefined) {
      this.h.onHttpResponse({
        conn: this.conn,
        frame,
        time,
        version: msg.a,
        status: Number(msg.b),
        reason: msg.c,
        headers: msg.headers,
        body: joined(s.parts),
        bodyLength: s.bodyLength,
      });
    }
    s.parts = [];
    s.kept = 0;
    s.held = 0;
    s.bodyLength = 0;
  }
}
