import type { TftpRequestEvent } from '../events';
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
