import { ConfigError, type InsecureProtocolConfig } from '../config';
import type {
  ConnectionInfo,
  HttpRequestEvent,
  LdapBindRequestEvent,
  LineCommandEvent,
  LineProtocol,
  LineReplyEvent,
  RemoteShellEvent,
  SmbMessageEvent,
  SnmpMessageEvent,
  TelnetTextEvent,
  TftpReplyEvent,
  VncHandshakeEvent,
} from '../events';
import { isSeverity, type Severity } from '../finding';
import type { Detector, DetectorContext } from './detector';
import { shown } from '../finding-text';
import { headerValue, splitAuthorization, targetPath } from '../protocols/http-content';

/** Longest packet text shown (users, dialects and versions kept in a finding). */
const MAX_SHOWN = 64;

/**
 * Insecure (cleartext or obsolete) application protocols in use (MITRE T1040 Network Sniffing,
 * unless a better technique fits): one finding `insecure-protocol` per (client, server, server
 * port, protocol), counting connections (TCP) or messages (UDP) and commands, first/last seen.
 * Protocols are recognised by content by the parsers; this detector only judges:
 *
 * - Telnet, rlogin/rsh/rexec, TFTP: any use.
 * - FTP, POP3, IMAP, SMTP: a connection is insecure when a command other than the pre-upgrade
 *   ones (FEAT/EHLO/CAPA/CAPABILITY/NOOP…) goes by before a successful AUTH TLS / STARTTLS / STLS
 *   (234 / 220 / +OK / tagged OK), or when it ends (idle timeout or end of capture) without one.
 * - LDAP simple binds and SASL PLAIN/LOGIN binds (both send the password in clear; anonymous /
 *   unauthenticated binds at a lower severity; other SASL mechanisms are silent), SNMP v1/v2c
 *   (not v3), SMBv1 (a server that answers in SMB1, or SMB1 commands past negotiate — an SMB1
 *   negotiate answered in SMB2 is the normal upgrade), VNC whose security type in use is None
 *   or VNC authentication (TLS/VeNCrypt wrappers are fine), HTTP `Authorization: Basic`.
 *
 * Evidence holds counts and protocol facts (SNMP versions and PDU kinds, SMB dialects, VNC
 * security types, user names of r-services, TFTP file names, HTTP hosts and paths without query)
 * — never a password, community string or Authorization value. Findings are reported at a connection's judgement, when the
 * command count reaches a power of two (backoff) and once more at the end with final counts.
 */

type Proto =
  | 'telnet'
  | 'ftp'
  | 'pop3'
  | 'imap'
  | 'smtp'
  | 'tftp'
  | 'rlogin'
  | 'rsh'
  | 'rexec'
  | 'ldap'
  | 'snmp'
  | 'smb'
  | 'vnc'
  | 'http-basic';

const LABEL: Record<Proto, string> = {
  telnet: 'Telnet',
  ftp: 'FTP without AUTH TLS',
  pop3: 'POP3 without STLS',
  imap: 'IMAP without STARTTLS',
  smtp: 'SMTP without STARTTLS',
  tftp: 'TFTP',
  rlogin: 'rlogin',
  rsh: 'rsh',
  rexec: 'rexec',
  ldap: 'LDAP simple bind in cleartext',
  snmp: 'SNMP v1/v2c (community string in clear)',
  smb: 'SMBv1',
  vnc: 'VNC without encryption',
  'http-basic': 'HTTP Basic authentication over cleartext HTTP',
};

const WHY: Record<Proto, string> = {
  telnet: 'Telnet sends the login, the password and the whole session in clear text.',
  ftp: 'FTP sends USER/PASS and the data in clear text; the server did not upgrade the control connection with AUTH TLS.',
  pop3: 'POP3 sends the login and the mail in clear text; the session was not upgraded with STLS.',
  imap: 'IMAP sends the login and the mail in clear text; the session was not upgraded with STARTTLS.',
  smtp: 'SMTP carried mail (and any AUTH exchange) in clear text; the session was not upgraded with STARTTLS.',
  tftp: 'TFTP has no authentication and transfers files in clear text (configurations and boot images read by anyone on the path).',
  rlogin:
    'rlogin trusts the client address (.rhosts) or sends the password in clear, and the whole session is unencrypted.',
  rsh: 'rsh trusts the client address (.rhosts), which is spoofable, and sends commands and output in clear text.',
  rexec: 'rexec sends the user name and password in clear text, then the command and its output.',
  ldap: 'An LDAP simple bind, or a SASL PLAIN or LOGIN bind, sends the user and password in clear text unless the connection uses TLS (LDAPS or StartTLS).',
  snmp: 'SNMP v1/v2c authenticate with a community string sent in clear text; SNMPv3 (USM) authenticates and can encrypt.',
  smb: 'SMBv1 is deprecated: no encryption, weak signing, and the protocol behind wormable remote code execution (MS17-010).',
  vnc: 'The VNC session is not encrypted: security type None needs no password at all, VNC authentication is a DES challenge/response that can be cracked offline, and the screen and keystrokes travel in clear.',
  'http-basic':
    'HTTP Basic sends the user name and password base64-encoded (not encrypted) in every request over plain HTTP.',
};

/** SMTP/FTP/POP3/IMAP commands allowed before the upgrade decision (capability discovery). */
const PRE_UPGRADE: Record<LineProtocol, ReadonlySet<string>> = {
  ftp: new Set(['FEAT', 'SYST', 'NOOP', 'HELP', 'CLNT', 'OPTS']),
  smtp: new Set(['EHLO', 'HELO', 'LHLO', 'NOOP', 'RSET']),
  pop3: new Set(['CAPA', 'NOOP']),
  imap: new Set(['CAPABILITY', 'NOOP', 'ID']),
  telnet: new Set(),
};

const LIST_MAX = 8;

interface Agg {
  proto: Proto;
  client: string;
  server: string;
  port: number;
  /** TCP connections (UDP protocols: requests/messages). */
  connections: number;
  /** Client commands / requests / messages counted. */
  messages: number;
  /** Severity-raising facts: 'auth' (SMTP AUTH), 'set' (SNMP), 'simple'/'sasl'/'anonymous' (LDAP), 'none'/'vncauth' (VNC). */
  flags: string[];
  lists: Record<string, string[]>;
  counters: Record<string, number>;
  lastFrame: number;
  lastTime: number;
  /** messages at the last report; < 0: never reported. */
  reported: number;
  dirty: boolean;
}

interface Conn {
  proto: Proto;
  client: string;
  server: string;
  port: number;
  t: number;
  /** Counted in its aggregate already. */
  counted: boolean;
  /** Line protocols: pre-upgrade commands seen, the upgrade command waiting for its reply (tag or ''). */
  pre: number;
  preFrame: number;
  upgrade: string | null;
  /** SMB: dialects offered in the last negotiate request. */
  dialects?: string[];
}

export interface InsecureProtocolState {
  aggs: Array<[string, Agg]>;
  conns: Array<[string, Conn]>;
}

function pushList(a: Agg, name: string, v: string): void {
  const l = (a.lists[name] ??= []);
  if (!l.includes(v) && l.length < LIST_MAX) l.push(v);
}

const VNC_TYPES: Record<number, string> = {
  0: 'Invalid',
  1: 'None',
  2: 'VNC Authentication',
  5: 'RA2',
  6: 'RA2ne',
  16: 'Tight',
  17: 'Ultra',
  18: 'TLS',
  19: 'VeNCrypt',
  20: 'GTK-VNC SASL',
  21: 'MD5 hash',
  22: 'Colin Dean xvp',
  30: 'Apple Remote Desktop',
};
const vncType = (t: number) => `${VNC_TYPES[t] ?? 'type'} (${t})`;

export class InsecureProtocolDetector implements Detector<InsecureProtocolState> {
  readonly id = 'insecure-protocol';
  private aggs = new Map<string, Agg>();
  /** Per-connection judgement state, least recently active first. */
  private conns = new Map<string, Conn>();

  constructor(private readonly config: InsecureProtocolConfig) {
    for (const [k, v] of Object.entries(config.severity)) {
      if (!isSeverity(v))
        throw new ConfigError(`detectors.insecure-protocol.severity.${k}: "${String(v)}" is not a severity`);
    }
  }

  // ---- line protocols -------------------------------------------------------------------

  onLineCommand(e: LineCommandEvent, ctx: DetectorContext): void {
    const proto = e.protocol as Proto;
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, proto, e.time, ctx);
    if (c.counted) {
      const a = this.agg(c);
      if (proto === 'smtp' && e.command === 'AUTH' && !a.flags.includes('auth')) {
        a.flags.push('auth');
        this.message(a, e.frame, e.time, ctx, true);
      } else this.message(a, e.frame, e.time, ctx);
      return;
    }
    if (isUpgrade(e)) {
      c.upgrade = e.tag ?? '';
      c.pre++;
      if (c.preFrame === 0) c.preFrame = e.frame;
      return;
    }
    if (PRE_UPGRADE[e.protocol].has(e.command)) {
      c.pre++;
      if (c.preFrame === 0) c.preFrame = e.frame;
      return;
    }
    // A command that matters went in clear: the connection is insecure.
    const a = this.agg(c);
    if (proto === 'smtp' && e.command === 'AUTH' && !a.flags.includes('auth')) a.flags.push('auth');
    this.judged(c, a, e.frame, e.time, ctx, c.pre + 1);
  }

  onLineReply(e: LineReplyEvent, _ctx: DetectorContext): void {
    const c = this.conns.get(e.conn.id);
    if (c === undefined || c.upgrade === null) return;
    if (e.protocol === 'imap' && e.tag !== c.upgrade) return; // untagged data, or another command's reply
    const ok =
      (e.protocol === 'ftp' && e.status === '234') ||
      (e.protocol === 'smtp' && e.status === '220') ||
      (e.protocol === 'pop3' && e.status === '+OK') ||
      (e.protocol === 'imap' && e.status === 'OK');
    if (e.protocol === 'ftp' && /^[1]/.test(e.status)) return; // preliminary reply
    c.upgrade = null;
    if (ok) this.conns.delete(e.conn.id); // TLS from here on: nothing more to judge
  }

  // ---- session protocols ----------------------------------------------------------------

  onTelnetText(e: TelnetTextEvent, ctx: DetectorContext): void {
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, 'telnet', e.time, ctx);
    if (!c.counted) this.judged(c, this.agg(c), e.frame, e.time, ctx, e.dir === 'toServer' ? 1 : 0);
    else if (e.dir === 'toServer') this.message(this.agg(c), e.frame, e.time, ctx);
  }

  onRemoteShell(e: RemoteShellEvent, ctx: DetectorContext): void {
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, e.protocol, e.time, ctx);
    const a = this.agg(c);
    pushList(a, 'users', shown(e.user, MAX_SHOWN));
    if (!c.counted) this.judged(c, a, e.frame, e.time, ctx, 1);
  }

  onHttpRequest(e: HttpRequestEvent, ctx: DetectorContext): void {
    const auth = headerValue(e.headers, 'authorization');
    if (auth === undefined || splitAuthorization(auth)?.scheme.toLowerCase() !== 'basic') return;
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, 'http-basic', e.time, ctx);
    const a = this.agg(c);
    if (e.host !== undefined) pushList(a, 'hosts', shown(e.host, 100));
    // The path without its query string (which may carry tokens of its own).
    pushList(a, 'paths', shown(targetPath(e.target), 100));
    if (!c.counted) this.judged(c, a, e.frame, e.time, ctx, 1);
    else this.message(a, e.frame, e.time, ctx);
  }

  onLdapBindRequest(e: LdapBindRequestEvent, ctx: DetectorContext): void {
    let kind: 'simple' | 'anonymous' | 'sasl';
    const mech = e.auth === 'sasl' ? (e.mechanism ?? '').toUpperCase() : '';
    if (e.auth === 'sasl') {
      // PLAIN (RFC 4616) and LOGIN carry the password itself; CRAM-MD5, DIGEST-MD5, SCRAM, GSSAPI,
      // GSS-SPNEGO and EXTERNAL never send it.
      if (mech !== 'PLAIN' && mech !== 'LOGIN') return;
      kind = 'sasl';
    } else {
      // RFC 4513 §5.1: an empty password is an anonymous (empty DN) or unauthenticated bind.
      kind = (e.password ?? '') === '' ? 'anonymous' : 'simple';
    }
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, 'ldap', e.time, ctx);
    const a = this.agg(c);
    // saslBinds counts bind requests: a LOGIN exchange takes two or three.
    const counter = kind === 'simple' ? 'simpleBinds' : kind === 'sasl' ? 'saslBinds' : 'anonymousBinds';
    a.counters[counter] = (a.counters[counter] ?? 0) + 1;
    // A new kind or mechanism changes the title (and maybe the severity): reported at once.
    let raise = false;
    if (!a.flags.includes(kind)) {
      a.flags.push(kind);
      raise = true;
    }
    if (kind === 'sasl' && !(a.lists.saslMechanisms ?? []).includes(mech)) {
      pushList(a, 'saslMechanisms', mech);
      raise = true;
    }
    if (!c.counted) this.judged(c, a, e.frame, e.time, ctx, 1);
    else this.message(a, e.frame, e.time, ctx, raise);
  }

  onSmbMessage(e: SmbMessageEvent, ctx: DetectorContext): void {
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, 'smb', e.time, ctx);
    if (e.version === 1 && e.dialects !== undefined)
      c.dialects = e.dialects.slice(0, LIST_MAX).map((d) => shown(d, MAX_SHOWN));
    // SMB1 in use: the server answers in SMB1, or the client goes on in SMB1 past negotiate.
    // A negotiate response choosing no dialect (0xffff) refuses the connection: nothing ran.
    const v1 = e.version === 1 && e.dialect !== 'none' && (e.dir === 'toClient' || e.command !== 0x72);
    if (!v1) return;
    const a = this.agg(c);
    for (const d of c.dialects ?? []) pushList(a, 'dialectsOffered', d);
    if (e.dialect !== undefined) pushList(a, 'dialectChosen', shown(e.dialect, MAX_SHOWN));
    if (!c.counted) this.judged(c, a, e.frame, e.time, ctx, 1);
    else this.message(a, e.frame, e.time, ctx, e.dialect !== undefined);
  }

  onVncHandshake(e: VncHandshakeEvent, ctx: DetectorContext): void {
    if (e.chosen !== 1 && e.chosen !== 2) return; // unknown, refused, or wrapped in TLS/VeNCrypt
    this.expire(e.time, ctx);
    const c = this.conn(e.conn, 'vnc', e.time, ctx);
    const a = this.agg(c);
    const flag = e.chosen === 1 ? 'none' : 'vncauth';
    if (!a.flags.includes(flag)) a.flags.push(flag);
    pushList(a, 'securityTypesChosen', vncType(e.chosen));
    for (const t of e.offered.slice(0, LIST_MAX)) pushList(a, 'securityTypesOffered', vncType(t));
    pushList(a, 'rfbVersions', shown(e.clientVersion ?? e.serverVersion, MAX_SHOWN));
    if (!c.counted) this.judged(c, a, e.frame, e.time, ctx, 1);
  }

  // ---- UDP protocols ----------------------------------------------------------------------

  onSnmp(e: SnmpMessageEvent, ctx: DetectorContext): void {
    if (e.version === 'v3') return;
    // The manager is the client: it sends requests to the agent (161); agents send traps to it (162).
    const toAgent = e.pdu !== 'response' && e.pdu !== 'report' && e.pdu !== 'trap' && e.pdu !== 'inform';
    const client = toAgent ? e.src : e.dst;
    const server = toAgent ? e.dst : e.src;
    const a = this.aggFor('snmp', client.ip, server.ip, server.port);
    pushList(a, 'versions', e.version);
    a.counters[e.pdu] = (a.counters[e.pdu] ?? 0) + 1;
    const raise = e.pdu === 'set' && !a.flags.includes('set');
    if (raise) a.flags.push('set');
    a.connections++;
    this.message(a, e.frame, e.time, ctx, raise);
  }

  /** Answered requests only: a UDP scan's TFTP probe to a closed port is not TFTP in use. */
  onTftpReply(e: TftpReplyEvent, ctx: DetectorContext): void {
    const r = e.request;
    const a = this.aggFor('tftp', r.src.ip, r.dst.ip, r.dst.port);
    const op = r.op === 'read' ? 'reads' : 'writes';
    a.counters[op] = (a.counters[op] ?? 0) + 1;
    if (e.opcode === 'error') a.counters.errors = (a.counters.errors ?? 0) + 1;
    pushList(a, 'files', shown(r.filename, 100));
    a.connections++;
    this.message(a, e.frame, e.time, ctx);
  }

  flush(ctx: DetectorContext): void {
    for (const [id, c] of this.conns) this.settle(id, c, ctx);
    for (const a of this.aggs.values()) if (a.dirty) this.report(a, a.lastFrame, a.lastTime, ctx);
  }

  snapshot(): InsecureProtocolState {
    return { aggs: structuredClone([...this.aggs]), conns: structuredClone([...this.conns]) };
  }

  restore(s: InsecureProtocolState): void {
    this.aggs = new Map(structuredClone(s.aggs));
    this.conns = new Map(structuredClone(s.conns));
  }

  // ---- internals ----------------------------------------------------------------------------

  private conn(ci: ConnectionInfo, proto: Proto, time: number, ctx: DetectorContext): Conn {
    let c = this.conns.get(ci.id);
    if (c !== undefined && c.proto === proto) {
      c.t = time;
      this.conns.delete(ci.id); // move to the back: least recently active stays first
      this.conns.set(ci.id, c);
      return c;
    }
    if (c !== undefined) this.conns.delete(ci.id); // another protocol on a reused id: start over
    if (this.conns.size >= this.config.maxConnections) {
      const [oldId, old] = this.conns.entries().next().value as [string, Conn];
      this.settle(oldId, old, ctx);
    }
    c = {
      proto,
      client: ci.client.ip,
      server: ci.server.ip,
      port: ci.server.port,
      t: time,
      counted: false,
      pre: 0,
      preFrame: 0,
      upgrade: null,
    };
    this.conns.set(ci.id, c);
    return c;
  }

  /** Connections idle longer than the timeout end: a line protocol that never upgraded is judged. */
  private expire(now: number, ctx: DetectorContext): void {
    for (const [id, c] of this.conns) {
      if (now - c.t <= this.config.idleTimeout) break;
      this.settle(id, c, ctx);
    }
  }

  /** The connection ends (idle, evicted, end of capture). */
  private settle(id: string, c: Conn, ctx: DetectorContext): void {
    this.conns.delete(id);
    if (!c.counted && c.pre > 0 && c.upgrade === null && isLine(c.proto)) {
      const a = this.agg(c);
      this.judged(c, a, c.preFrame, c.t, ctx, c.pre);
    }
  }

  private agg(c: Conn): Agg {
    return this.aggFor(c.proto, c.client, c.server, c.port);
  }

  private aggFor(proto: Proto, client: string, server: string, port: number): Agg {
    const key = `${proto}|${client}|${server}|${port}`;
    let a = this.aggs.get(key);
    if (a === undefined) {
      if (this.aggs.size >= this.config.maxFindings) {
        // Forget the oldest pair's counters (its finding stays in the store as last reported).
        this.aggs.delete(this.aggs.keys().next().value as string);
      }
      a = {
        proto,
        client,
        server,
        port,
        connections: 0,
        messages: 0,
        flags: [],
        lists: {},
        counters: {},
        lastFrame: 0,
        lastTime: 0,
        reported: -1,
        dirty: false,
      };
      this.aggs.set(key, a);
    }
    return a;
  }

  private judged(c: Conn, a: Agg, frame: number, time: number, ctx: DetectorContext, messages: number): void {
    c.counted = true;
    a.connections++;
    a.messages += messages;
    a.lastFrame = frame;
    a.lastTime = time;
    this.report(a, frame, time, ctx);
  }

  /** One more command/message: reported at powers of two (and at the end), or now when `force`. */
  private message(a: Agg, frame: number, time: number, ctx: DetectorContext, force = false): void {
    a.messages++;
    a.lastFrame = frame;
    a.lastTime = time;
    a.dirty = true;
    const n = a.messages;
    if (force || a.reported < 0 || (n & (n - 1)) === 0) this.report(a, frame, time, ctx);
  }

  private severity(a: Agg): Severity {
    const s = this.config.severity;
    switch (a.proto) {
      case 'smtp':
        return a.flags.includes('auth') ? s.smtpAuth : s.smtp;
      case 'ldap':
        return a.flags.includes('simple') || a.flags.includes('sasl') ? s.ldapSimple : s.ldapAnonymous;
      case 'snmp':
        return a.flags.includes('set') ? s.snmpSet : s.snmp;
      case 'vnc':
        return a.flags.includes('none') ? s.vncNone : s.vncAuth;
      case 'smb':
        return s.smbv1;
      case 'http-basic':
        return s.httpBasic;
      default:
        return s[a.proto];
    }
  }

  private report(a: Agg, frame: number, time: number, ctx: DetectorContext): void {
    a.reported = a.messages;
    a.dirty = false;
    const udp = a.proto === 'snmp' || a.proto === 'tftp';
    const unit = udp ? (a.proto === 'snmp' ? 'message' : 'request') : 'connection';
    let label = LABEL[a.proto];
    if (a.proto === 'ldap') label = ldapLabel(a);
    if (a.proto === 'vnc' && a.flags.includes('none')) label = 'VNC without authentication or encryption';
    const mitre = a.proto === 'smb' ? 'T1210' : a.proto === 'vnc' && a.flags.includes('none') ? 'T1021.005' : 'T1040';
    const details: Record<string, unknown> = {
      protocol: a.proto,
      [udp ? `${unit}s` : 'connections']: a.connections,
      ...(udp ? {} : { messages: a.messages }),
      ...structuredClone(a.lists),
      ...a.counters,
    };
    ctx.report({
      key: `${a.proto}|${a.client}|${a.server}|${a.port}`,
      type: 'insecure-protocol',
      severity: this.severity(a),
      mitre,
      title: `${label}: ${a.client} → ${a.server}:${a.port}`,
      description: `${WHY[a.proto]} ${a.connections} ${unit}${a.connections === 1 ? '' : 's'} from ${a.client} to ${a.server}:${a.port}${udp ? '' : `, ${a.messages} client command${a.messages === 1 ? '' : 's'}/message${a.messages === 1 ? '' : 's'}`}.`,
      time,
      frame,
      count: a.connections,
      src: { ip: a.client },
      dst: { ip: a.server, port: a.port },
      details,
    });
  }
}

/** "LDAP simple bind", "LDAP SASL PLAIN bind", "LDAP simple and SASL LOGIN binds", or anonymous. */
function ldapLabel(a: Agg): string {
  const kinds: string[] = [];
  if (a.flags.includes('simple')) kinds.push('simple');
  if (a.flags.includes('sasl')) kinds.push(`SASL ${(a.lists.saslMechanisms ?? []).join('/')}`);
  if (kinds.length === 0) return 'LDAP anonymous bind in cleartext';
  return `LDAP ${kinds.join(' and ')} bind${kinds.length > 1 ? 's' : ''} in cleartext`;
}

function isLine(p: Proto): boolean {
  return p === 'ftp' || p === 'pop3' || p === 'imap' || p === 'smtp';
}

function isUpgrade(e: LineCommandEvent): boolean {
  switch (e.protocol) {
    case 'ftp':
      return e.command === 'AUTH' && /^\s*(TLS|SSL)/i.test(e.argument);
    case 'smtp':
    case 'imap':
      return e.command === 'STARTTLS';
    case 'pop3':
      return e.command === 'STLS';
    default:
      return false;
  }
}
