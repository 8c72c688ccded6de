import type {
  ConnectionInfo,
  Direction,
  LineCommandEvent,
  LineProtocol,
  LineReplyEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
} from '../events';
import { appendBytes, b64, EMPTY, fromB64, type StreamParser } from './stream-parser';

/**
 * CRLF (or bare LF) line splitting with a bounded line length, shared by FTP, POP3, IMAP and
 * SMTP. A line longer than the bound is dropped up to its end (counted), so a peer that never
 * sends a newline cannot make us buffer without limit. `skip` consumes raw bytes (IMAP
 * literals, SMTP BDAT chunks) without splitting them into lines.
 */
export class LineSplitter {
  pending: Buffer = EMPTY;
  /** Dropping the rest of an over-long line. */
  discarding = false;
  /** Raw bytes still to be skipped before lines resume. */
  skip = 0;
  /** How many of the skipped bytes to keep in `kept` (small IMAP literals); the rest are only skipped. */
  keep = 0;
  kept: Buffer = EMPTY;
  overlong = 0;
  private data: Buffer = EMPTY;
  private pos = 0;

  constructor(readonly maxLine: number) {}

  feed(data: Buffer): void {
    this.data = data;
    this.pos = 0;
  }

  /** Next complete line (without CR/LF), or null when the fed data is used up. */
  next(): string | null {
    const d = this.data;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, d.length - this.pos);
        if (this.keep > 0) {
          const k = Math.min(n, this.keep);
          this.kept = Buffer.concat([this.kept, d.subarray(this.pos, this.pos + k)]);
          this.keep -= k;
        }
        this.skip -= n;
        this.pos += n;
        if (this.skip > 0) return null;
      }
      if (this.pos >= d.length) {
        this.data = EMPTY;
        return null;
      }
      const lf = d.indexOf(10, this.pos);
      if (lf < 0) {
        if (!this.discarding) {
          const rest = d.length - this.pos;
          if (this.pending.length + rest > this.maxLine) {
            this.discarding = true;
            this.overlong++;
            this.pending = EMPTY;
          } else {
            this.pending = Buffer.from(appendBytes(this.pending, d.subarray(this.pos)));
          }
        }
        this.pos = d.length;
        this.data = EMPTY;
        return null;
      }
      const start = this.pos;
      this.pos = lf + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      let end = lf;
      let line: string;
      if (this.pending.length > 0) {
        if (this.pending.length + (end - start) > this.maxLine) {
          this.pending = EMPTY;
          this.overlong++;
          continue;
        }
        const whole = Buffer.concat([this.pending, d.subarray(start, end)]);
        this.pending = EMPTY;
        let we = whole.length;
        if (we > 0 && whole[we - 1] === 13) we--;
        line = whole.toString('utf8', 0, we);
      } else {
        if (end - start > this.maxLine) {
          this.overlong++;
          continue;
        }
        if (end > start && d[end - 1] === 13) end--;
        line = d.toString('utf8', start, end);
      }
      return line;
    }
  }

  reset(): void {
    this.pending = EMPTY;
    this.discarding = false;
    this.skip = 0;
    this.keep = 0;
    this.kept = EMPTY;
  }

  /** Bytes held between data events (partial line, kept literal bytes). */
  get held(): number {
    return this.pending.length + this.kept.length;
  }

  /** The kept bytes, and forget them. */
  takeKept(): Buffer {
    const k = this.kept;
    this.kept = EMPTY;
    return k;
  }

  snapshot(): LineSplitterState {
    const s: LineSplitterState = [b64(this.pending), this.discarding, this.skip];
    if (this.keep > 0 || this.kept.length > 0) s.push(this.keep, b64(this.kept));
    return s;
  }

  restore(s: LineSplitterState): void {
    this.pending = fromB64(s[0]);
    this.discarding = s[1];
    this.skip = s[2];
    this.keep = typeof s[3] === 'number' ? s[3] : 0;
    this.kept = fromB64(s[4]);
  }
}

export interface LineHandlers {
  onLineCommand?(e: LineCommandEvent): void;
  onLineReply?(e: LineReplyEvent): void;
}

export interface LineParserOptions {
  maxLineLength: number;
}

/** pending (base64), discarding, skip, and when keeping literal bytes: keep, kept (base64). */
export type LineSplitterState = [string, boolean, number, number?, string?];

export interface LineParserState {
  c: LineSplitterState;
  s: LineSplitterState;
  stopped: boolean;
  /** Protocol-specific fields. */
  x: Record<string, unknown>;
}

/**
 * Base of the line protocols: splits both directions into lines and hands client lines to
 * `clientLine` and server lines to `serverLine`. After a successful STARTTLS/STLS/AUTH TLS the
 * subclass calls `stopAll()`: the rest of the connection is encrypted.
 */
export abstract class LineProtocolParser implements StreamParser {
  protected readonly toServer: LineSplitter;
  protected readonly toClient: LineSplitter;
  protected stopped = false;
  protected frame = 0;
  protected time = 0;

  constructor(
    protected readonly protocol: LineProtocol,
    protected readonly conn: ConnectionInfo,
    protected readonly h: LineHandlers,
    opts: LineParserOptions,
  ) {
    this.toServer = new LineSplitter(opts.maxLineLength);
    this.toClient = new LineSplitter(opts.maxLineLength);
  }

  get done(): boolean {
    return this.stopped;
  }

  bufferedBytes(): number {
    return this.toServer.held + this.toClient.held + this.extraBytes();
  }

  onData(e: StreamDataEvent): void {
    if (this.stopped) return;
    this.frame = e.frame;
    this.time = e.time;
    const sp = e.dir === 'toServer' ? this.toServer : this.toClient;
    sp.feed(e.data);
    let line: string | null;
    while (!this.stopped && (line = sp.next()) !== null) {
      if (e.dir === 'toServer') this.clientLine(line);
      else this.serverLine(line);
    }
  }

  onGap(e: StreamGapEvent): void {
    // Lines resume at the next newline: drop the partial one the hole cut.
    const sp = e.dir === 'toServer' ? this.toServer : this.toClient;
    sp.reset();
    sp.discarding = true;
    this.afterGap(e.dir);
  }

  onClose(_e: StreamCloseEvent): void {
    this.stopAll();
  }

  snapshot(): LineParserState {
    return { c: this.toServer.snapshot(), s: this.toClient.snapshot(), stopped: this.stopped, x: this.extraState() };
  }

  protected restoreBase(s: LineParserState | undefined): Record<string, unknown> | undefined {
    if (s === undefined) return undefined;
    this.toServer.restore(s.c);
    this.toClient.restore(s.s);
    this.stopped = s.stopped;
    return s.x;
  }

  protected stopAll(): void {
    this.stopped = true;
    this.toServer.reset();
    this.toClient.reset();
  }

  protected command(command: string, argument: string, tag?: string, literals?: string[]): void {
    if (this.h.onLineCommand === undefined) return;
    const ev: LineCommandEvent = {
      conn: this.conn,
      protocol: this.protocol,
      frame: this.frame,
      time: this.time,
      command,
      argument,
    };
    if (tag !== undefined) ev.tag = tag;
    if (literals !== undefined) ev.literals = literals;
    this.h.onLineCommand(ev);
  }

  protected reply(status: string, text: string, tag?: string): void {
    if (this.h.onLineReply === undefined) return;
    const ev: LineReplyEvent = {
      conn: this.conn,
      protocol: this.protocol,
      frame: this.frame,
      time: this.time,
      status,
      text,
    };
    if (tag !== undefined) ev.tag = tag;
    this.h.onLineReply(ev);
  }

  /** Bytes the subclass holds (collected reply lines, a command waiting for its literals). */
  protected extraBytes(): number {
    return 0;
  }

  protected afterGap(_dir: Direction): void {
    /* subclasses reset their per-direction modes */
  }

  protected abstract clientLine(line: string): void;
  protected abstract serverLine(line: string): void;
  protected abstract extraState(): Record<string, unknown>;
}

/** "VERB rest" → [VERB upper-cased, rest]. */
export function splitVerb(line: string): [string, string] {
  const sp = line.indexOf(' ');
  if (sp < 0) return [line.toUpperCase(), ''];
  return [line.slice(0, sp).toUpperCase(), line.slice(sp + 1)];
}

/**
 * Multi-line numeric replies (FTP RFC 959 §4.2, SMTP RFC 5321 §4.2.1): "250-first", ..., "250 last".
 * Collects a reply and returns [code, text] when it is complete. Bounded line count.
 */
export class NumericReplyCollector {
  code = '';
  lines: string[] = [];
  /** Characters in `lines` (kept up to date for the dispatcher's buffer budget). */
  bytes = 0;

  constructor(private readonly maxLines = 200) {}

  restore(code: unknown, lines: unknown): void {
    this.code = typeof code === 'string' ? code : '';
    this.lines = Array.isArray(lines) ? (lines as string[]) : [];
    this.bytes = 0;
    for (const l of this.lines) this.bytes += l.length;
  }

  private push(line: string): void {
    if (this.lines.length >= this.maxLines) return;
    this.lines.push(line);
    this.bytes += line.length;
  }

  add(line: string): [string, string] | null {
    const isCode = line.length >= 3 && line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57 && /^\d{3}/.test(line);
    if (this.code === '') {
      if (!isCode) return null; // not a reply line: ignore
      const code = line.slice(0, 3);
      if (line[3] === '-') {
        this.code = code;
        this.lines = [];
        this.bytes = 0;
        this.push(line.slice(4));
        return null;
      }
      return [code, line.length > 4 ? line.slice(4) : ''];
    }
    if (line.startsWith(this.code) && (line.length === 3 || line[3] === ' ')) {
      this.push(line.slice(4));
      const out: [string, string] = [this.code, this.lines.join('\n')];
      this.reset();
      return out;
    }
    this.push(line.startsWith(this.code + '-') ? line.slice(4) : line);
    return null;
  }

  reset(): void {
    this.code = '';
    this.lines = [];
    this.bytes = 0;
  }
}
