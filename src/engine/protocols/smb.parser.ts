import type {
  ConnectionInfo,
  Direction,
  SmbMessageEvent,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
} from '../events';
import { MessageFramer, type FramerState } from './message-framer';
import type { StreamParser } from './stream-parser';

/**
 * SMB over the NetBIOS session service (139, RFC 1002 §4.3) or direct TCP (445, MS-SMB2 §2.1):
 * a 4-byte header (type, 24-bit length) before each message. Session messages (type 0) carrying
 * `\xffSMB` are SMBv1 (MS-CIFS), `\xfeSMB` SMB 2/3 (MS-SMB2), `\xfdSMB` the SMB3 transform
 * (encrypted) header. Only the first `HEAD` bytes of a message are read (enough for the header
 * and a negotiate's dialect list); the rest is skipped by length, so file transfers cost little.
 * Reported: every negotiate, and the first other message of each (direction, version).
 */

const HEAD = 1024;
const MAX_DIALECTS = 32;
const SMB1_NEGOTIATE = 0x72;
const SMB2_NEGOTIATE = 0;

export interface SmbHandlers {
  onSmbMessage?(e: SmbMessageEvent): void;
}

/** The framer's pending bytes are at most a message head; the skip is the rest of the current message. */
export interface SmbState extends FramerState {
  /** Bit per (dir, version) already reported: dir*3 + version-1. */
  seen: number;
  /** SMB1 dialects of the last negotiate request (to name the response's index). */
  dialects: string[];
  done: boolean;
}

/** Does `b` start like an SMB session message? true/false, or null: need more bytes. */
export function looksLikeSmb(b: Buffer): boolean | null {
  if (b.length === 0) return null;
  if (b[0] !== 0x00) return false;
  if (b.length < 8) return null;
  return (b[4] === 0xff || b[4] === 0xfe || b[4] === 0xfd) && b[5] === 0x53 && b[6] === 0x4d && b[7] === 0x42;
}

export class SmbParser implements StreamParser {
  private readonly framer: MessageFramer;
  private seen = 0;
  private dialects: string[] = [];
  private stopped = false;

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly h: SmbHandlers,
    state?: SmbState,
  ) {
    this.framer = new MessageFramer(state);
    if (state !== undefined) {
      this.seen = state.seen;
      this.dialects = Array.isArray(state.dialects) ? state.dialects.slice(0, MAX_DIALECTS) : [];
      this.stopped = state.done;
    }
  }

  get done(): boolean {
    return this.stopped;
  }

  bufferedBytes(): number {
    return this.framer.bufferedBytes();
  }

  onData(e: StreamDataEvent): void {
    if (this.stopped) return;
    const b = this.framer.input(e.dir, e.data);
    if (b === null) return;
    let off = 0;
    while (off + 4 <= b.length) {
      const type = b[off];
      // Session message, request, positive/negative response, retarget, keep-alive (RFC 1002 §4.3.1).
      if (type !== 0x00 && type !== 0x81 && type !== 0x82 && type !== 0x83 && type !== 0x84 && type !== 0x85) {
        this.stop();
        return;
      }
      const len = (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
      const head = Math.min(len, HEAD);
      if (b.length - off < 4 + head) break; // wait for the head
      if (type === 0x00 && len > 0) this.message(b.subarray(off + 4, off + 4 + head), e.dir, e);
      off = this.framer.pass(e.dir, b, off, 4 + len);
    }
    this.framer.keep(e.dir, b, off);
  }

  onGap(_e: StreamGapEvent): void {
    // Message framing is lost with the bytes.
    this.stop();
  }

  onClose(_e: StreamCloseEvent): void {
    this.stop();
  }

  snapshot(): SmbState {
    return {
      ...this.framer.snapshot(),
      seen: this.seen,
      dialects: [...this.dialects],
      done: this.stopped,
    };
  }

  private stop(): void {
    this.stopped = true;
    this.framer.clear();
  }

  private message(m: Buffer, dir: Direction, e: StreamDataEvent): void {
    if (m.length < 4 || m[1] !== 0x53 || m[2] !== 0x4d || m[3] !== 0x42) return;
    const version = m[0] === 0xff ? 1 : m[0] === 0xfe ? 2 : m[0] === 0xfd ? 3 : 0;
    if (version === 0) return;
    let command = -1;
    let isResponse = dir === 'toClient';
    let negotiate = false;
    const ev: SmbMessageEvent = {
      conn: this.conn,
      frame: e.frame,
      time: e.time,
      dir,
      version: version as 1 | 2 | 3,
      command,
      isResponse,
    };
    if (version === 1 && m.length >= 32) {
      command = m[4];
      isResponse = (m[9] & 0x80) !== 0;
      negotiate = command === SMB1_NEGOTIATE;
      if (negotiate) this.smb1Negotiate(m, isResponse, ev);
    } else if (version === 2 && m.length >= 64) {
      command = m.readUInt16LE(12);
      isResponse = (m.readUInt32LE(16) & 1) !== 0;
      negotiate = command === SMB2_NEGOTIATE;
      if (negotiate) smb2Negotiate(m, isResponse, ev);
    } else if (version !== 3) return; // header cut short: not a message we can name
    ev.command = command;
    ev.isResponse = isResponse;
    const bit = 1 << ((dir === 'toServer' ? 0 : 3) + version - 1);
    if (!negotiate) {
      if ((this.seen & bit) !== 0) return;
      this.seen |= bit;
    }
    this.h.onSmbMessage?.(ev);
  }

  /** MS-CIFS §2.2.4.52: request bytes are 0x02 "dialect" NUL ...; the response's first word is the chosen index. */
  private smb1Negotiate(m: Buffer, isResponse: boolean, ev: SmbMessageEvent): void {
    const wc = m[32];
    const bcAt = 33 + 2 * wc;
    if (!isResponse) {
      if (bcAt + 2 > m.length) return;
      const end = Math.min(m.length, bcAt + 2 + m.readUInt16LE(bcAt));
      const out: string[] = [];
      let i = bcAt + 2;
      while (i < end && out.length < MAX_DIALECTS) {
        if (m[i] !== 0x02) break;
        const nul = m.indexOf(0, i + 1);
        if (nul < 0 || nul >= end) break;
        out.push(printable(m.toString('latin1', i + 1, Math.min(nul, i + 65))));
        i = nul + 1;
      }
      this.dialects = out;
      ev.dialects = [...out];
      return;
    }
    if (wc < 1 || m.length < 35) return;
    const index = m.readUInt16LE(33);
    ev.dialect = index === 0xffff ? 'none' : (this.dialects[index] ?? `#${index}`);
  }
}

/** MS-SMB2 §2.2.3 / §2.2.4: DialectCount at 64+2, dialects at 64+36; the response's DialectRevision at 64+4. */
function smb2Negotiate(m: Buffer, isResponse: boolean, ev: SmbMessageEvent): void {
  if (isResponse) {
    if (m.length >= 70) ev.dialect = hex4(m.readUInt16LE(68));
    return;
  }
  if (m.length < 68) return;
  const count = Math.min(m.readUInt16LE(66), MAX_DIALECTS);
  const out: string[] = [];
  for (let k = 0; k < count && 100 + 2 * k + 2 <= m.length; k++) out.push(hex4(m.readUInt16LE(100 + 2 * k)));
  ev.dialects = out;
}

function hex4(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
