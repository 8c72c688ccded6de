import type { ConnectionInfo, Direction } from '../events';
import {
  LineProtocolParser,
  splitVerb,
  type LineHandlers,
  type LineParserOptions,
  type LineParserState,
} from './line-protocol.parser';

/**
 * POP3 (RFC 1939, 2449, 5034): commands, +OK/-ERR replies. Multi-line responses (RETR, TOP,
 * CAPA, LIST/UIDL without argument) are message data, skipped to the lone "."; commands are
 * queued (bounded) so pipelined replies match them. "+ " is a SASL challenge: client lines are
 * reported with an empty command until +OK/-ERR. STLS + "+OK" stops (TLS follows).
 */
const MAX_QUEUE = 64;

export class Pop3Parser extends LineProtocolParser {
  /** Pending commands: verb, plus '+' when it had an argument. */
  private queue: string[] = [];
  private multiline = false;
  private sasl = false;

  constructor(conn: ConnectionInfo, h: LineHandlers, opts: LineParserOptions, state?: LineParserState) {
    super('pop3', conn, h, opts);
    const x = this.restoreBase(state);
    if (x !== undefined) {
      this.queue = Array.isArray(x.queue) ? (x.queue as string[]) : [];
      this.multiline = x.multiline === true;
      this.sasl = x.sasl === true;
    }
  }

  protected clientLine(line: string): void {
    if (this.sasl) {
      this.command('', line);
      return;
    }
    const [verb, arg] = splitVerb(line);
    if (verb === '') return;
    if (this.queue.length < MAX_QUEUE) this.queue.push(arg.length > 0 ? verb + '+' : verb);
    this.command(verb, arg);
  }

  protected serverLine(line: string): void {
    if (this.multiline) {
      if (line === '.') this.multiline = false;
      return;
    }
    let status: string;
    if (line.startsWith('+OK')) status = '+OK';
    else if (line.startsWith('-ERR')) status = '-ERR';
    else if (line === '+' || line.startsWith('+ ')) {
      this.sasl = true;
      this.reply('+', line.slice(2));
      return;
    } else return; // not a status line
    this.sasl = false;
    this.reply(status, line.slice(status.length + 1));
    const cmd = this.queue.length > 0 ? (this.queue.shift() as string) : '';
    if (status !== '+OK') return;
    if (cmd === 'STLS') this.stopAll();
    else if (cmd === 'RETR+' || cmd === 'TOP+' || cmd === 'CAPA' || cmd === 'LIST' || cmd === 'UIDL' || cmd === 'AUTH')
      this.multiline = true;
  }

  protected override afterGap(dir: Direction): void {
    if (dir === 'toClient') this.multiline = false;
  }

  protected extraState(): Record<string, unknown> {
    return { queue: this.queue, multiline: this.multiline, sasl: this.sasl };
  }
}
