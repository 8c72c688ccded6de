import type { ConnectionInfo, StreamCloseEvent, StreamDataEvent, StreamGapEvent, TelnetTextEvent } from '../events';
import type { StreamParser } from './stream-parser';

/**
 * Telnet (RFC 854/855): strips IAC command and option negotiation — WILL/WONT/DO/DONT <opt>,
 * SB ... IAC SE, other 2-byte commands — keeps IAC IAC as a literal 255, and reports the
 * remaining text per direction. The state machine position is carried across data events.
 */
const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;

const enum S {
  Text = 0,
  Iac = 1,
  Option = 2,
  Sub = 3,
  SubIac = 4,
}

export interface TelnetState {
  st: [number, number];
}

export class TelnetParser implements StreamParser {
  readonly done = false;
  private st: [number, number] = [S.Text, S.Text];

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly onText: ((e: TelnetTextEvent) => void) | undefined,
    state?: TelnetState,
  ) {
    if (state !== undefined) this.st = [state.st[0], state.st[1]];
  }

  onData(e: StreamDataEvent): void {
    const i = e.dir === 'toServer' ? 0 : 1;
    const d = e.data;
    let st = this.st[i];
    // Text bytes are compacted in place into a fresh copy (the event's data is ours to keep).
    const out = Buffer.allocUnsafe(d.length);
    let n = 0;
    for (let k = 0; k < d.length; k++) {
      const c = d[k];
      switch (st) {
        case S.Text:
          if (c === IAC) st = S.Iac;
          else out[n++] = c;
          break;
        case S.Iac:
          if (c === IAC) {
            out[n++] = IAC;
            st = S.Text;
          } else if (c === SB) st = S.Sub;
          else if (c >= WILL && c <= DONT) st = S.Option;
          else st = S.Text; // NOP, GA, AYT, ... : two-byte commands
          break;
        case S.Option:
          st = S.Text;
          break;
        case S.Sub:
          if (c === IAC) st = S.SubIac;
          break;
        case S.SubIac:
          st = c === SE ? S.Text : S.Sub;
          break;
      }
    }
    this.st[i] = st;
    if (n > 0 && this.onText !== undefined) {
      this.onText({ conn: this.conn, dir: e.dir, frame: e.frame, time: e.time, text: out.toString('latin1', 0, n) });
    }
  }

  onGap(e: StreamGapEvent): void {
    this.st[e.dir === 'toServer' ? 0 : 1] = S.Text;
  }

  onClose(_e: StreamCloseEvent): void {
    /* nothing pending */
  }

  bufferedBytes(): number {
    return 0; // each data event is decoded whole: only the option state is kept
  }

  snapshot(): TelnetState {
    return { st: [this.st[0], this.st[1]] };
  }
}
