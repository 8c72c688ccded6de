import type { TftpReplyEvent, TftpRequestEvent } from '../events';
import type { UdpMeta } from './snmp';

/**
 * TFTP read/write requests (RFC 1350 §5: opcode 1 RRQ / 2 WRQ, file name NUL, mode NUL, then
 * RFC 2347 options). Recognised by content: a printable file name and one of the three modes,
 * so a DNS message with id 1 or 2 is not mistaken for one. DATA/ACK packets travel between
 * ephemeral ports and carry nothing to recognise them by; they are not decoded.
 */
const MODES = new Set(['netascii', 'octet', 'mail']);
const MAX_NAME = 255;

function printableRun(b: Buffer, from: number, end: number, max: number): number {
  let i = from;
  while (i < end && i - from <= max) {
    const c = b[i];
    if (c === 0) return i;
    if (c < 0x20 || c > 0x7e) return -1;
    i++;
  }
  return -1;
}

export function decodeTftp(b: Buffer, off: number, len: number, meta: UdpMeta): TftpRequestEvent | null {
  const end = off + len;
  if (len < 4 || b[off] !== 0 || (b[off + 1] !== 1 && b[off + 1] !== 2)) return null;
  const nameEnd = printableRun(b, off + 2, end, MAX_NAME);
  if (nameEnd <= off + 2) return null;
  const modeEnd = printableRun(b, nameEnd + 1, end, 16);
  if (modeEnd < 0) return null;
  const mode = b.toString('latin1', nameEnd + 1, modeEnd).toLowerCase();
  if (!MODES.has(mode)) return null;
  return {
    ...meta,
    op: b[off + 1] === 1 ? 'read' : 'write',
    filename: b.toString('latin1', off + 2, nameEnd),
    mode,
  };
}

const REPLY_OPCODES: Record<number, TftpReplyEvent['opcode']> = { 3: 'data', 4: 'ack', 5: 'error', 6: 'oack' };
/** A request waits this long (s) for its first reply: RFC 1350 servers answer at once, clients retry after ~1–5 s. */
const REPLY_TIMEOUT = 10;
const MAX_PENDING = 4096;

export interface TftpTrackerState {
  pending: Array<[string, TftpRequestEvent]>;
}

/**
 * Pairs a request with the first reply (DATA, ACK, ERROR or OACK) sent back to the client's
 * address and port — from any server port, as RFC 1350 §4 has the server answer from a new
 * one. A request nobody answers (a UDP scan's probe to a closed port) yields no reply event.
 */
export class TftpTracker {
  private pending = new Map<string, TftpRequestEvent>();

  get size(): number {
    return this.pending.size;
  }

  request(ev: TftpRequestEvent): void {
    const key = `${ev.src.ip}|${ev.src.port}`;
    for (const [k, r] of this.pending) {
      if (ev.time - r.time <= REPLY_TIMEOUT && this.pending.size < MAX_PENDING) break;
      this.pending.delete(k);
    }
    this.pending.delete(key);
    this.pending.set(key, ev);
  }

  /** The reply event when `b` is a TFTP reply to a pending request's client endpoint. */
  reply(b: Buffer, off: number, len: number, meta: UdpMeta): TftpReplyEvent | null {
    if (len < 4 || b[off] !== 0) return null;
    const opcode = REPLY_OPCODES[b[off + 1]];
    if (opcode === undefined) return null;
    const key = `${meta.dst.ip}|${meta.dst.port}`;
    const req = this.pending.get(key);
    if (req === undefined || req.dst.ip !== meta.src.ip || meta.time - req.time > REPLY_TIMEOUT) return null;
    this.pending.delete(key);
    const ev: TftpReplyEvent = { ...meta, opcode, request: req };
    if (opcode === 'error') {
      ev.errorCode = b.readUInt16BE(off + 2);
      const end = b.indexOf(0, off + 4);
      ev.errorMessage = b
        .toString('latin1', off + 4, Math.min(end < 0 || end > off + len ? off + len : end, off + 4 + 200))
        .replace(/[^\x20-\x7e]/g, '?');
    }
    return ev;
  }

  snapshot(): TftpTrackerState {
    return { pending: structuredClone([...this.pending]) };
  }

  restore(s: TftpTrackerState | undefined): void {
    this.pending = new Map(s === undefined ? [] : structuredClone(s.pending));
  }
}
