import type { ConnectionInfo } from '../events';
import {
  LineProtocolParser,
  type LineHandlers,
  type LineParserOptions,
  type LineParserState,
} from './line-protocol.parser';

/**
 * IMAP4 (RFC 9051): tagged commands and tagged/untagged replies. Literals `{n}` / `{n+}` are
 * counted and skipped (their bytes are data, not commands); the command is reported once its
 * last line arrives, with literal markers in place of literal contents, and the contents of
 * small literals (≤ 256 bytes) in `literals`. During AUTHENTICATE,
 * client lines are SASL data (empty command). STARTTLS + tagged OK stops.
 */
const LITERAL = /\{(\d{1,12})\+?\}$/;

interface PendingCommand {
  tag: string;
  command: string;
  arg: string;
  /** Contents of the small literals read so far (UTF-8 text). */
  lits?: string[];
  /** A literal was too large to keep: later ones are not kept either. */
  cut?: boolean;
}

/**
 * Client literals up to this size are kept and reported in `literals` (LOGIN user names and
 * passwords, AUTHENTICATE data, mailbox names sent as literals); larger ones (APPEND messages)
 * are only skipped. At most MAX_LITERALS per command.
 */
const MAX_LITERAL_KEPT = 256;
const MAX_LITERALS = 4;

export class ImapParser extends LineProtocolParser {
  literalBytes = 0;
  private pending: PendingCommand | null = null;
  private serverContinuation = false;
  private authTag = '';
  private tlsTag = '';

  constructor(conn: ConnectionInfo, h: LineHandlers, opts: LineParserOptions, state?: LineParserState) {
    super('imap', conn, h, opts);
    const x = this.restoreBase(state);
    if (x !== undefined) {
      this.literalBytes = typeof x.literalBytes === 'number' ? x.literalBytes : 0;
      this.pending = (x.pending as PendingCommand | null) ?? null;
      this.serverContinuation = x.serverContinuation === true;
      this.authTag = typeof x.authTag === 'string' ? x.authTag : '';
      this.tlsTag = typeof x.tlsTag === 'string' ? x.tlsTag : '';
    }
  }

  protected clientLine(line: string): void {
    if (this.pending === null && this.authTag !== '') {
      this.command('', line);
      return;
    }
    const lit = LITERAL.exec(line);
    if (this.pending !== null) {
      // The line after a literal: the literal's bytes were kept when it was small.
      const kept = this.toServer.takeKept();
      if (this.pending.lits !== undefined && this.pending.cut !== true) this.pending.lits.push(kept.toString('utf8'));
      // Bounded like one line: a client chaining literals forever must not grow the argument forever.
      if (this.pending.arg.length < this.toServer.maxLine)
        this.pending.arg += line.slice(0, this.toServer.maxLine - this.pending.arg.length);
    } else {
      const sp1 = line.indexOf(' ');
      if (sp1 <= 0) return;
      const sp2 = line.indexOf(' ', sp1 + 1);
      const tag = line.slice(0, sp1);
      const command = (sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2)).toUpperCase();
      this.pending = { tag, command, arg: sp2 < 0 ? '' : line.slice(sp2 + 1) };
    }
    if (lit !== null) {
      const n = Number(lit[1]);
      this.literalBytes += n;
      this.toServer.skip = n;
      const p = this.pending as PendingCommand;
      // Kept literals are always the first ones of the command: after one too large, no more.
      if (n <= MAX_LITERAL_KEPT && (p.lits?.length ?? 0) < MAX_LITERALS && p.cut !== true) {
        p.lits ??= [];
        this.toServer.keep = n;
      } else p.cut = true;
      return;
    }
    const p = this.pending;
    this.pending = null;
    if (p.command === 'AUTHENTICATE') this.authTag = p.tag;
    if (p.command === 'STARTTLS') this.tlsTag = p.tag;
    this.command(p.command, p.arg, p.tag, p.lits !== undefined && p.lits.length > 0 ? p.lits : undefined);
  }

  protected serverLine(line: string): void {
    const lit = LITERAL.exec(line);
    const continuation = this.serverContinuation;
    this.serverContinuation = false;
    if (lit !== null) {
      const n = Number(lit[1]);
      this.literalBytes += n;
      this.toClient.skip = n;
      this.serverContinuation = true;
    }
    if (continuation) return; // the rest of a line that carried a literal
    if (line === '+' || line.startsWith('+ ')) {
      this.reply('+', line.slice(2));
      return;
    }
    const sp1 = line.indexOf(' ');
    if (sp1 <= 0) return;
    const tag = line.slice(0, sp1);
    const sp2 = line.indexOf(' ', sp1 + 1);
    const status = (sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2)).toUpperCase();
    this.reply(status, sp2 < 0 ? '' : line.slice(sp2 + 1), tag);
    if (tag === '*') return;
    if (tag === this.authTag) this.authTag = '';
    if (tag === this.tlsTag) {
      this.tlsTag = '';
      if (status === 'OK') this.stopAll();
    }
  }

  protected override extraBytes(): number {
    const p = this.pending;
    if (p === null) return 0;
    let n = p.tag.length + p.command.length + p.arg.length;
    if (p.lits !== undefined) for (const l of p.lits) n += l.length;
    return n;
  }

  protected extraState(): Record<string, unknown> {
    return {
      literalBytes: this.literalBytes,
      pending: this.pending,
      serverContinuation: this.serverContinuation,
      authTag: this.authTag,
      tlsTag: this.tlsTag,
    };
  }
}
