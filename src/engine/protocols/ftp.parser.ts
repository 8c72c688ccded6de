import type { ConnectionInfo } from '../events';
import {
  LineProtocolParser,
  NumericReplyCollector,
  splitVerb,
  type LineHandlers,
  type LineParserOptions,
  type LineParserState,
} from './line-protocol.parser';

/** FTP control connection (RFC 959): commands, multi-line numeric replies; stops after AUTH TLS + 234. */
export class FtpParser extends LineProtocolParser {
  private readonly replies = new NumericReplyCollector();
  private authTlsPending = false;

  constructor(conn: ConnectionInfo, h: LineHandlers, opts: LineParserOptions, state?: LineParserState) {
    super('ftp', conn, h, opts);
    const x = this.restoreBase(state);
    if (x !== undefined) {
      this.authTlsPending = x.authTlsPending === true;
      this.replies.restore(x.code, x.lines);
    }
  }

  protected clientLine(line: string): void {
    const [verb, arg] = splitVerb(line);
    if (verb === '') return;
    this.authTlsPending = verb === 'AUTH' && /^(TLS|SSL)/i.test(arg);
    this.command(verb, arg);
  }

  protected serverLine(line: string): void {
    const r = this.replies.add(line);
    if (r === null) return;
    this.reply(r[0], r[1]);
    if (this.authTlsPending) {
      this.authTlsPending = false;
      if (r[0] === '234') this.stopAll();
    }
  }

  protected override extraBytes(): number {
    return this.replies.bytes;
  }

  protected extraState(): Record<string, unknown> {
    return { authTlsPending: this.authTlsPending, code: this.replies.code, lines: this.replies.lines };
  }
}
