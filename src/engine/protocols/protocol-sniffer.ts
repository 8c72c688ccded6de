import type { ConnectionInfo, Direction } from '../events';
import { looksLikeLdap } from './ldap.parser';
import { looksLikeRService, RSERVICE_PORTS } from './rservices.parser';
import { looksLikeSmb } from './smb.parser';
import { looksLikeRfb } from './vnc.parser';

/**
 * Which protocol a TCP connection speaks, from the first bytes of either direction, with the
 * server port only as a fallback hint — so services on odd ports are still recognised and a
 * well-known port carrying something else is not misparsed.
 */
export type SniffedProtocol =
  | 'dns'
  | 'tls'
  | 'http'
  | 'ftp'
  | 'pop3'
  | 'imap'
  | 'smtp'
  | 'telnet'
  | 'ldap'
  | 'smb'
  | 'vnc'
  | 'rlogin'
  | 'rsh'
  | 'rexec';

/** Returned while the bytes seen so far could still become a match. */
export const MORE = 'more';
export const NONE = 'none';
export type SniffResult = SniffedProtocol | typeof MORE | typeof NONE;

/** Bytes after which an undecided direction falls back to the port hint. */
export const SNIFF_LIMIT = 256;

const METHODS = [
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'CONNECT',
  'TRACE',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'REPORT',
  'SEARCH',
];
const SMTP_PORTS = new Set([25, 465, 587, 2525]);
const FTP_PORTS = new Set([21, 990, 2121]);

const PORT_HINTS: Record<number, SniffedProtocol> = {
  21: 'ftp',
  23: 'telnet',
  25: 'smtp',
  53: 'dns',
  80: 'http',
  110: 'pop3',
  143: 'imap',
  139: 'smb',
  389: 'ldap',
  445: 'smb',
  443: 'tls',
  587: 'smtp',
  8080: 'http',
};

function startsWith(b: Buffer, s: string): boolean | null {
  const n = Math.min(b.length, s.length);
  for (let i = 0; i < n; i++) if (b[i] !== s.charCodeAt(i)) return false;
  return n === s.length ? true : null; // null: prefix so far, need more
}

function httpMethod(b: Buffer): boolean | null {
  let partial = false;
  for (const m of METHODS) {
    const r = startsWith(b, m + ' ');
    if (r === true) return true;
    if (r === null) partial = true;
  }
  return partial ? null : false;
}

export function portHint(conn: ConnectionInfo): SniffedProtocol | undefined {
  return PORT_HINTS[conn.server.port];
}

/** Decide from the first bytes `b` sent in direction `dir`. */
export function sniff(dir: Direction, b: Buffer, conn: ConnectionInfo): SniffResult {
  if (conn.server.port === 53 || conn.client.port === 53) return 'dns';
  if (b.length === 0) return MORE;
  const c = b[0];
  if (c === 0x16) {
    if (b.length < 3) return MORE;
    return b[1] === 3 && b[2] <= 4 ? 'tls' : fallback(b, conn);
  }
  if (c === 0xff) return 'telnet';
  let undecided = false;
  // r-services: the port names which one, the content must have its handshake's shape.
  const rs = RSERVICE_PORTS[conn.server.port];
  if (rs !== undefined && dir === 'toServer') {
    const r = looksLikeRService(b, rs);
    if (r === true) return rs;
    if (r === null && b.length < SNIFF_LIMIT) return MORE;
  }
  if (c === 0x00) {
    const r = looksLikeSmb(b);
    if (r === true) return 'smb';
    if (r === null) undecided = true;
  } else if (c === 0x81 && conn.server.port === 139 && dir === 'toServer') {
    return 'smb'; // NetBIOS session request before SMB (RFC 1002 §4.3.2)
  } else if (c === 0x52) {
    const r = looksLikeRfb(b);
    if (r === true) return 'vnc';
    if (r === null) undecided = true;
  }
  if (c === 0x30) {
    const l = looksLikeLdap(b, dir === 'toServer');
    if (l === true) return 'ldap';
    if (l === null) undecided = true;
  }
  if (dir === 'toServer') {
    const m = httpMethod(b);
    if (m === true) return 'http';
    if (m === null) undecided = true;
  } else {
    const checks: [string, SniffedProtocol][] = [
      ['HTTP/1.', 'http'],
      ['+OK', 'pop3'],
      ['* OK', 'imap'],
      ['* PREAUTH', 'imap'],
      ['* BYE', 'imap'],
    ];
    for (const [s, p] of checks) {
      const r = startsWith(b, s);
      if (r === true) return p;
      if (r === null) undecided = true;
    }
    const r220 = startsWith(b, '220');
    if (r220 === null) undecided = true;
    if (r220 === true) {
      const lf = b.indexOf(10);
      if (lf < 0 && b.length < SNIFF_LIMIT) return MORE;
      if (FTP_PORTS.has(conn.server.port)) return 'ftp';
      if (SMTP_PORTS.has(conn.server.port)) return 'smtp';
      const line = b.toString('latin1', 0, lf < 0 ? b.length : lf);
      if (/SMTP|Postfix|Sendmail|Exim|\bmail\b/i.test(line)) return 'smtp';
      return 'ftp';
    }
  }
  if (undecided && b.length < SNIFF_LIMIT) return MORE;
  return fallback(b, conn);
}

function fallback(_b: Buffer, conn: ConnectionInfo): SniffResult {
  return portHint(conn) ?? NONE;
}
