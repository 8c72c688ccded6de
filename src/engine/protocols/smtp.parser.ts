import type { ConnectionInfo, Direction } from '../events';
import {
  LineProtocolParser,
  NumericReplyCollector,
  splitVerb,
  type LineHandlers,
  type LineParserOptions,
  type LineParserState,
} from './line-protocol.parser';

/**
 * SMTP (RFC 5321): commands and multi-line replies. Message content after DATA/354 is not
 * commands and is skipped up to the lone "."; BDAT chunks are skipped by size. While the server
 * asks for SASL data (334), client lines are reported with an empty command. STARTTLS + 220 stops.
 */
export class SmtpParser extends LineProtocolParser {
  private readonly replies = new NumericReplyCollector();
  private dataPending = false;
  private dataMode = false;
  private tlsPending = false;
  private sasl = false;

  constructor(conn: ConnectionInfo, h: LineHandlers, opts: LineParserOptions, state?: LineParserState) {
    super('smtp', conn, h, opts);
    const x = this.restoreBase(state);
    if (x !== undefined) {
      this.dataPending = x.dataPending === true;
      this.dataMode = x.dataMode === true;
      this.tlsPending = x.tlsPending === true;
      this.sasl = x.sasl === true;
      this.replies.restore(x.code, x.lines);
    }
  }

  protected clientLine(line: string): void {
    if (this.dataMode) {
      if (line === '.') this.dataMode = false;
      return;
    }
    if (this.sasl) {
      this.command('', line);
      return;
    }
    const [verb, arg] = splitVerb(line);
    if (verb === '') return;
    this.dataPending = verb === 'DATA';
    this.tlsPending = verb === 'STARTTLS';
    if (verb === 'BDAT') {
      const n = parseInt(arg, 10);
      if (Number.isFinite(n) && n > 0) this.toServer.skip = n;
    }
    this.command(verb, arg);
  }

  protected serverLine(line: string): void {
    const r = this.replies.add(line);
    if (r === null) return;
    this.reply(r[0], r[1]);
    const code = r[0];
    this.sasl = code === '334';
    if (this.dataPending && code === '354') {
      this.dataPending = false;
      this.dataMode = true;
    }
    if (this.tlsPending) {
      this.tlsPending = false;
      if (code === '220') this.stopAll();
    }
  }

  protected override afterGap(dir: Direction): void {
    if (dir === 'toServer') this.dataMode = false;
  }

  protected override extraBytes(): number {
    return this.replies.bytes;
  }

  protected extraState(): Record<string, unknown> {
    return {
      dataPending: this.dataPending,
      dataMode: this.dataMode,
      tlsPending: this.tlsPending,
      sasl: this.sasl,
      code: this.replies.code,
      lines: this.replies.lines,
    };
  }
}
