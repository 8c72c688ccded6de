import type { PlaintextCredentialsConfig } from '../config';
import type {
  ConnectionInfo,
  Endpoint,
  HttpRequestEvent,
  HttpResponseEvent,
  LdapBindRequestEvent,
  LdapBindResponseEvent,
  LineCommandEvent,
  RemoteShellEvent,
  LineReplyEvent,
  SnmpMessageEvent,
  TelnetTextEvent,
} from '../events';
import type { Severity } from '../finding';
import {
  decodeBase64,
  headerValue,
  parseAuthorization,
  servesPasswordForm,
  targetPath,
  targetQuery,
} from '../protocols/http-content';
import { formCredentials, imapStrings, saslPlain, saslXoauth2, type UserSecret } from './credential-parsing';
import type { Detector, DetectorContext } from './detector';
import { maskFromParts, maskSecret, type PartialMask } from './secret-mask';
import { shown } from '../finding-text';

/**
 * Credentials sent in clear (MITRE T1040 Network Sniffing harvests them; T1552 Unsecured
 * Credentials): FTP USER/PASS, Telnet logins typed at login/password prompts, HTTP Basic and
 * other replayable Authorization values (Bearer tokens, unknown schemes), HTTP POST login forms
 * (urlencoded, multipart, JSON), POP3 USER/PASS and APOP, IMAP LOGIN and AUTHENTICATE, POP3/SMTP
 * AUTH (PLAIN, LOGIN, XOAUTH2 — initial response or continuation lines), SNMP v1/v2c community
 * strings, LDAP simple binds and SASL PLAIN/LOGIN binds, rexec.
 *
 * One finding per (protocol, client IP, server IP:port, user name), counting attempts, with
 * whether the login succeeded when the reply tells (FTP 2xx/4xx-5xx, POP3 +OK/-ERR, IMAP tagged
 * OK/NO/BAD, SMTP 235/4xx-5xx, HTTP status or a posted login form shown again in a 200 page,
 * Telnet text after the password, SNMP response, LDAP resultCode). Secrets are masked the moment they are read (secret-mask.ts): only the mask
 * reaches state, snapshots and findings; Authorization values, cookies and bodies are never copied.
 *
 * Severity: `high` once a login with the exposed secret succeeded (a working credential is
 * now known to anyone on the path); `medium` when it failed or the reply is unknown (the secret
 * is still exposed, and a failed password is often a typo of the real one); APOP sends an MD5
 * digest, not the password: `medium` if accepted, `low` otherwise (offline-crackable against the
 * greeting's timestamp); anonymous FTP is `info` (`anonymous-login`): the "password" is an
 * e-mail address by convention (RFC 1635), nothing secret is exposed.
 *
 * Not credentials here: empty secrets (nothing exposed); challenge-response schemes where the password never travels (HTTP
 * Digest/NTLM/Negotiate, SASL CRAM-MD5/DIGEST-MD5/SCRAM/GSSAPI/NTLM), anonymous LDAP binds (empty
 * password), SNMPv3 (USM keys never travel). An IMAP LOGIN argument sent as a literal larger
 * than the parser keeps (256 bytes) is reported as "(literal, not read)".
 */

type CredProtocol = 'ftp' | 'telnet' | 'http' | 'pop3' | 'imap' | 'smtp' | 'snmp' | 'ldap' | 'rexec';
type Kind = 'credential' | 'anonymous' | 'digest';

/** A login waiting for its reply. Holds the key of its credential, never the secret. */
interface Attempt {
  k: string;
  /** IMAP tag, LDAP message id, SNMP request id, HTTP request number: what the reply must match. */
  m?: string | number;
  /** HTTP: form login (judged by redirect/cookie) and the form's path. */
  form?: string;
  /** HTTP: the form came in a request body (a 200 page asking for a password again means it failed). */
  posted?: true;
}

interface Sasl {
  mech: 'PLAIN' | 'LOGIN' | 'XOAUTH2';
  /** LOGIN: user name received (step 1). */
  user?: string;
  tag?: string;
}

const enum TnMode {
  Idle = 0,
  User = 1,
  Password = 2,
}

interface TelnetState {
  mode: TnMode;
  /** User name being typed (not a secret). */
  line: string;
  /** Password being typed, as a mask summary only. */
  pw: PartialMask;
  /** Last client character was CR: a following LF or NUL belongs to it (RFC 854). */
  cr: boolean;
  /** Last server text (bounded), where prompts and the login's outcome are looked for. */
  tail: string;
  /** Logged in: the rest of the session is not watched. */
  done: boolean;
  user: string;
}

interface Session {
  p: CredProtocol;
  c: Endpoint;
  s: Endpoint;
  /** Last activity (packet time). */
  t: number;
  /** User named by USER (FTP/POP3), waiting for PASS. */
  user?: string;
  sasl?: Sasl;
  wait: Attempt[];
  /** HTTP requests and final responses counted since the connection was followed (pairing). */
  seq?: number;
  rsp?: number;
  tn?: TelnetState;
}

interface Credential {
  protocol: CredProtocol;
  client: string;
  server: Endpoint;
  user: string;
  method: string;
  kind: Kind;
  attempts: number;
  ok: number;
  failed: number;
  secrets: string[];
  firstFrame: number;
}

export interface PlaintextCredentialsState {
  sessions: Array<[string, Session]>;
  creds: Array<[string, Credential]>;
  dropped: number;
  now: number;
}

const MAX_WAIT = 16;
const EMPTY_MASK = maskSecret('');
const MAX_USER = 128;
const MAX_PATH = 100;
const TELNET_TAIL = 200;

const LINE_PROTOCOLS = new Set(['ftp', 'pop3', 'imap', 'smtp']);
const PROTOCOL_NAMES: Record<CredProtocol, string> = {
  ftp: 'FTP',
  telnet: 'Telnet',
  http: 'HTTP',
  pop3: 'POP3',
  imap: 'IMAP',
  smtp: 'SMTP',
  snmp: 'SNMP',
  ldap: 'LDAP',
  rexec: 'rexec',
};
const TELNET_ANY_PROMPT = /(?:login|user(?:name| name)?|pass(?:word|wd|code)?)\s*:\s*$/i;
const TELNET_USER_PROMPT = /(?:login|user(?:name| name)?)\s*:\s*$/i;
const TELNET_PASS_PROMPT = /pass(?:word|wd|code)?\s*:\s*$/i;
/** Refusals (login(1), PAM, busybox, Cisco/Juniper). Not bare "failed": RHEL's "Last failed login:" banner follows a success. */
const TELNET_FAILED =
  /login incorrect|incorrect password|password incorrect|authentication fail|access denied|permission denied|invalid (?:login|password|user)|bad password|login failed/i;
/** "Last login:" banner, a welcome, or a shell prompt ending the text. */
const TELNET_LAST_LOGIN = /last login:/i;
const TELNET_SUCCEEDED = /welcome|[$#%>] ?$/i;

export class PlaintextCredentialsDetector implements Detector<PlaintextCredentialsState> {
  readonly id = 'plaintext-credentials';
  private sessions = new Map<string, Session>();
  private creds = new Map<string, Credential>();
  /** Telnet password characters being typed, by connection: in memory only, never in a snapshot. */
  private typed = new Map<string, string[]>();
  private dropped = 0;
  private now = 0;
  private readonly userFields: string[];
  private readonly passwordFields: string[];
  private readonly anonymous: Set<string>;
  private readonly queryPassword: RegExp;

  constructor(private readonly config: PlaintextCredentialsConfig) {
    this.userFields = config.userFields.map((f) => f.toLowerCase());
    this.passwordFields = config.passwordFields.map((f) => f.toLowerCase());
    this.anonymous = new Set(config.anonymousUsers.map((u) => u.toLowerCase()));
    // Cheap pre-check of a request target for a password field (names as regex-escaped text).
    const names = this.passwordFields.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.queryPassword = new RegExp(`[?&](?:[^=&#]*\\[)?(?:${names.join('|')})\\]?=[^&#]`, 'i');
  }

  snapshot(): PlaintextCredentialsState {
    return {
      sessions: [...this.sessions].map(([k, s]) => [k, structuredClone(s)]),
      creds: [...this.creds].map(([k, c]) => [k, { ...c, server: { ...c.server }, secrets: [...c.secrets] }]),
      dropped: this.dropped,
      now: this.now,
    };
  }

  restore(state: PlaintextCredentialsState): void {
    this.sessions = new Map(state.sessions.map(([k, s]) => [k, structuredClone(s)]));
    this.creds = new Map(state.creds.map(([k, c]) => [k, { ...c, server: { ...c.server }, secrets: [...c.secrets] }]));
    this.typed.clear();
    this.dropped = state.dropped;
    this.now = state.now;
  }

  // ---- sessions --------------------------------------------------------------------------

  private expire(time: number): void {
    if (time > this.now) this.now = time;
    const limit = this.now - this.config.sessionTimeout;
    for (const [k, s] of this.sessions) {
      if (s.t >= limit) break; // touched sessions are moved to the end: oldest first
      this.sessions.delete(k);
      this.typed.delete(k);
    }
  }

  private touch(k: string, s: Session, time: number): void {
    s.t = time > s.t ? time : s.t;
    this.sessions.delete(k);
    this.sessions.set(k, s);
  }

  private open(k: string, p: CredProtocol, c: Endpoint, srv: Endpoint, time: number): Session {
    let s = this.sessions.get(k);
    if (s === undefined) {
      if (this.sessions.size >= this.config.maxSessions) {
        const oldest = this.sessions.keys().next().value as string;
        this.sessions.delete(oldest);
        this.typed.delete(oldest);
      }
      s = { p, c: { ...c }, s: { ...srv }, t: time, wait: [] };
      this.sessions.set(k, s);
    } else this.touch(k, s, time);
    return s;
  }

  private connSession(conn: ConnectionInfo, p: CredProtocol, time: number): Session {
    return this.open(conn.id, p, conn.client, conn.server, time);
  }

  // ---- credentials and findings ----------------------------------------------------------

  /**
   * One login attempt: counted on its credential and reported now (succeeded unknown); the
   * reply, when one comes, updates it. `masked` is already masked.
   */
  private attempt(
    s: Session,
    user: string,
    method: string,
    masked: string,
    kind: Kind,
    frame: number,
    time: number,
    ctx: DetectorContext,
    match?: Omit<Attempt, 'k'>,
  ): void {
    if (kind === 'anonymous' && !this.config.reportAnonymous) return;
    // An empty secret exposes nothing (an empty form field, Enter at a password prompt, an
    // exploit string in the user field of a log4shell probe): not a credential.
    if (masked === EMPTY_MASK) return;
    const u = shown(user, MAX_USER);
    const k = `${s.p}|${s.c.ip}|${s.s.ip}|${s.s.port}|${u}`;
    let c = this.creds.get(k);
    if (c === undefined) {
      if (this.creds.size >= this.config.maxCredentials) {
        this.dropped++;
        return;
      }
      c = {
        protocol: s.p,
        client: s.c.ip,
        server: { ...s.s },
        user: u,
        method,
        kind,
        attempts: 0,
        ok: 0,
        failed: 0,
        secrets: [],
        firstFrame: frame,
      };
      this.creds.set(k, c);
    }
    c.attempts++;
    c.method = method;
    if (!c.secrets.includes(masked)) {
      if (c.secrets.length >= this.config.maxSecretsPerFinding) c.secrets.shift();
      c.secrets.push(masked);
    } else {
      // Most recent last: `secret` in the finding is the one used last.
      c.secrets.splice(c.secrets.indexOf(masked), 1);
      c.secrets.push(masked);
    }
    if (match !== undefined) {
      if (s.wait.length >= MAX_WAIT) s.wait.shift();
      s.wait.push({ k, ...match });
    }
    this.report(k, c, frame, time, ctx);
  }

  /** The reply to `a`: true succeeded, false failed, null unknown (nothing changes). */
  private resolve(a: Attempt, ok: boolean | null, frame: number, time: number, ctx: DetectorContext): void {
    if (ok === null) return;
    const c = this.creds.get(a.k);
    if (c === undefined) return;
    if (ok) c.ok++;
    else c.failed++;
    this.report(a.k, c, frame, time, ctx);
  }

  private report(k: string, c: Credential, frame: number, time: number, ctx: DetectorContext): void {
    const unknown = c.attempts - c.ok - c.failed;
    const succeeded = c.ok > 0 ? true : unknown > 0 ? null : false;
    let severity: Severity;
    if (c.kind === 'anonymous') severity = 'info';
    else if (c.kind === 'digest') severity = c.ok > 0 ? 'medium' : 'low';
    else severity = c.ok > 0 ? 'high' : 'medium';
    const proto = PROTOCOL_NAMES[c.protocol];
    const server = `${c.server.ip}:${c.server.port}`;
    const who = c.user === '' ? '' : ` for ${c.user}`;
    const outcome = succeeded === true ? 'login succeeded' : succeeded === false ? 'login failed' : 'outcome unknown';
    const secret = c.secrets[c.secrets.length - 1];
    const title =
      c.kind === 'anonymous'
        ? `Anonymous ${proto} login from ${c.client} to ${server} (${outcome})`
        : `Cleartext ${proto} credentials${who} from ${c.client} to ${server} (${outcome})`;
    const what =
      c.kind === 'anonymous'
        ? `An anonymous ${proto} login (${c.method}); its "password" is by convention an e-mail address, not a secret.`
        : c.kind === 'digest'
          ? `A ${proto} login (${c.method}) sent the user name in clear and a digest of the password that can be cracked offline against the server's greeting.`
          : `A ${proto} login (${c.method}) sent its secret unencrypted: anyone on the path can read and replay it (network sniffing, T1040; unsecured credentials, T1552).`;
    const description = `${what} ${c.attempts} attempt(s): ${c.ok} succeeded, ${c.failed} failed, ${unknown} unknown. Secret (masked): ${secret}.`;
    ctx.report({
      key: k,
      type: c.kind === 'anonymous' ? 'anonymous-login' : 'plaintext-credential',
      severity,
      title,
      description,
      mitre: 'T1040',
      time,
      frame,
      count: c.attempts,
      src: { ip: c.client },
      dst: { ip: c.server.ip, port: c.server.port },
      details: {
        protocol: c.protocol,
        client: c.client,
        server,
        user: c.user === '' ? null : c.user,
        method: c.method,
        succeeded,
        secret,
        ...(c.secrets.length > 1 ? { secrets: [...c.secrets] } : {}),
        attempts: { total: c.attempts, succeeded: c.ok, failed: c.failed, unknown },
      },
    });
  }

  // ---- FTP, POP3, IMAP, SMTP ---------------------------------------------------------------

  onLineCommand(e: LineCommandEvent, ctx: DetectorContext): void {
    if (!LINE_PROTOCOLS.has(e.protocol)) return;
    const cmd = e.command;
    const p = e.protocol as CredProtocol;
    if (cmd === '') {
      // SASL continuation data: only meaningful inside an exchange we follow.
      const s = this.sessions.get(e.conn.id);
      if (s === undefined || s.sasl === undefined) return;
      this.expire(e.time);
      this.touch(e.conn.id, s, e.time);
      this.saslData(s, e.argument, e, ctx);
      return;
    }
    switch (cmd) {
      case 'USER':
        if (p !== 'ftp' && p !== 'pop3') return;
        this.expire(e.time);
        this.connSession(e.conn, p, e.time).user = e.argument.trim().slice(0, MAX_USER + 1);
        return;
      case 'PASS': {
        if (p !== 'ftp' && p !== 'pop3') return;
        this.expire(e.time);
        const s = this.connSession(e.conn, p, e.time);
        const user = s.user ?? '';
        const anon = p === 'ftp' && this.anonymous.has(user.toLowerCase());
        this.attempt(
          s,
          user,
          'USER/PASS',
          maskSecret(e.argument),
          anon ? 'anonymous' : 'credential',
          e.frame,
          e.time,
          ctx,
          {},
        );
        return;
      }
      case 'APOP': {
        if (p !== 'pop3') return;
        this.expire(e.time);
        const s = this.connSession(e.conn, p, e.time);
        const sp = e.argument.trim().lastIndexOf(' ');
        const user = sp < 0 ? '' : e.argument.trim().slice(0, sp);
        const digest = sp < 0 ? e.argument.trim() : e.argument.trim().slice(sp + 1);
        this.attempt(s, user, 'APOP', maskSecret(digest), 'digest', e.frame, e.time, ctx, {});
        return;
      }
      case 'LOGIN': {
        if (p !== 'imap') return;
        this.expire(e.time);
        const s = this.connSession(e.conn, p, e.time);
        const args = imapStrings(e.argument, 2, e.literals);
        // A literal larger than the parser keeps (256 bytes): the login is known, its contents are not.
        const user = args === null ? '' : args[0];
        const masked = args === null ? '(literal, not read)' : maskSecret(args[1]);
        this.attempt(s, user, 'LOGIN', masked, 'credential', e.frame, e.time, ctx, { m: e.tag ?? '' });
        return;
      }
      case 'AUTH':
      case 'AUTHENTICATE': {
        if ((cmd === 'AUTH') === (p === 'imap') || p === 'ftp') return; // FTP AUTH TLS is not SASL
        const arg = e.argument.trim();
        const sp = arg.indexOf(' ');
        const mech = (sp < 0 ? arg : arg.slice(0, sp)).toUpperCase();
        if (mech !== 'PLAIN' && mech !== 'LOGIN' && mech !== 'XOAUTH2') {
          const s = this.sessions.get(e.conn.id);
          if (s !== undefined) delete s.sasl;
          return;
        }
        this.expire(e.time);
        const s = this.connSession(e.conn, p, e.time);
        s.sasl = { mech, ...(e.tag !== undefined ? { tag: e.tag } : {}) };
        const initial = sp < 0 ? '' : arg.slice(sp + 1).trim();
        if (initial !== '' && initial !== '=') this.saslData(s, initial, e, ctx);
        return;
      }
      default:
        return;
    }
  }

  private saslData(s: Session, line: string, e: LineCommandEvent, ctx: DetectorContext): void {
    const sasl = s.sasl as Sasl;
    const verb = s.p === 'imap' ? 'AUTHENTICATE' : 'AUTH';
    const method = `${verb} ${sasl.mech}`;
    const match = { m: sasl.tag ?? '' };
    if (line.trim() === '*') {
      delete s.sasl; // client cancelled (RFC 4422 §3.5)
      return;
    }
    const decoded = decodeBase64(line);
    if (decoded === null) {
      delete s.sasl;
      return;
    }
    let cred: UserSecret | null = null;
    if (sasl.mech === 'PLAIN') cred = saslPlain(decoded);
    else if (sasl.mech === 'XOAUTH2') cred = saslXoauth2(decoded);
    else if (sasl.user === undefined) {
      sasl.user = shown(decoded, MAX_USER);
      return;
    } else cred = { user: sasl.user, secret: decoded };
    delete s.sasl;
    if (cred === null) return;
    this.attempt(s, cred.user, method, maskSecret(cred.secret), 'credential', e.frame, e.time, ctx, match);
  }

  onLineReply(e: LineReplyEvent, ctx: DetectorContext): void {
    const s = this.sessions.get(e.conn.id);
    if (s === undefined) return;
    const st = e.status;
    let ok: boolean | null;
    switch (e.protocol) {
      case 'ftp':
      case 'smtp': {
        const c = st.charCodeAt(0);
        if (c === 50 /* 2 */) ok = true;
        else if (c === 52 || c === 53 /* 4, 5 */) ok = false;
        else return; // 1xx preliminary, 3xx "send more" (331 password, 334 SASL challenge)
        if (s.wait.length === 0) {
          if (!ok) delete s.sasl;
          return;
        }
        break;
      }
      case 'pop3':
        if (st === '+OK') ok = true;
        else if (st === '-ERR') ok = false;
        else return; // "+ " SASL challenge
        delete s.sasl;
        if (s.wait.length === 0) return;
        break;
      case 'imap': {
        if (e.tag === undefined || e.tag === '*' || st === '+') return;
        if (s.sasl !== undefined && s.sasl.tag === e.tag) delete s.sasl;
        const i = s.wait.findIndex((a) => a.m === e.tag);
        if (i < 0) return;
        const [a] = s.wait.splice(i, 1);
        this.touch(e.conn.id, s, e.time);
        this.resolve(a, st === 'OK' ? true : st === 'NO' || st === 'BAD' ? false : null, e.frame, e.time, ctx);
        return;
      }
      default:
        return;
    }
    const a = s.wait.shift() as Attempt;
    this.touch(e.conn.id, s, e.time);
    this.resolve(a, ok, e.frame, e.time, ctx);
  }

  // ---- Telnet ---------------------------------------------------------------------------------

  onTelnetText(e: TelnetTextEvent, ctx: DetectorContext): void {
    let s = this.sessions.get(e.conn.id);
    if (s === undefined) {
      // Follow a connection only from its first login/password prompt.
      if (e.dir !== 'toClient' || !TELNET_ANY_PROMPT.test(e.text.slice(-40))) return;
      this.expire(e.time);
      s = this.connSession(e.conn, 'telnet', e.time);
    } else {
      this.expire(e.time);
      this.touch(e.conn.id, s, e.time);
    }
    let tn = s.tn;
    if (tn === undefined) {
      tn = {
        mode: TnMode.Idle,
        line: '',
        pw: { first: '', last: '', len: 0, lastKnown: true },
        cr: false,
        tail: '',
        done: false,
        user: '',
      };
      s.tn = tn;
    }
    if (tn.done) return;
    if (e.dir === 'toClient') this.telnetServer(s, tn, e, ctx);
    else this.telnetClient(s, tn, e, ctx);
  }

  private telnetServer(s: Session, tn: TelnetState, e: TelnetTextEvent, ctx: DetectorContext): void {
    const text = e.text.length > TELNET_TAIL ? e.text.slice(-TELNET_TAIL) : e.text;
    tn.tail = (tn.tail + text).slice(-TELNET_TAIL);
    if (s.wait.length > 0) {
      // Outcome of the password just typed.
      let ok: boolean | null = null;
      if (TELNET_LAST_LOGIN.test(tn.tail)) ok = true;
      else if (TELNET_FAILED.test(tn.tail) || TELNET_ANY_PROMPT.test(tn.tail)) ok = false;
      else if (TELNET_SUCCEEDED.test(tn.tail)) ok = true;
      if (ok !== null) {
        this.resolve(s.wait.shift() as Attempt, ok, e.frame, e.time, ctx);
        if (ok) {
          tn.done = true;
          tn.tail = '';
          return;
        }
      }
    }
    if (TELNET_PASS_PROMPT.test(tn.tail)) {
      tn.mode = TnMode.Password;
      tn.pw = { first: '', last: '', len: 0, lastKnown: true };
      this.typed.set(e.conn.id, []);
      tn.cr = false;
    } else if (TELNET_USER_PROMPT.test(tn.tail)) {
      tn.mode = TnMode.User;
      tn.line = '';
      tn.cr = false;
    }
  }

  private telnetClient(s: Session, tn: TelnetState, e: TelnetTextEvent, ctx: DetectorContext): void {
    const t = e.text;
    const max = this.config.telnetMaxLine;
    for (let i = 0; i < t.length; i++) {
      const ch = t[i];
      if (tn.cr && (ch === '\n' || ch === '\0')) {
        tn.cr = false;
        continue;
      }
      tn.cr = false;
      if (ch === '\r' || ch === '\n') {
        tn.cr = ch === '\r';
        this.telnetLine(s, tn, e, ctx);
        continue;
      }
      if (tn.mode === TnMode.Idle) continue;
      const code = ch.charCodeAt(0);
      const erase = code === 8 || code === 0x7f;
      const kill = code === 0x15; // ^U
      if (!erase && !kill && code < 0x20) continue;
      if (tn.mode === TnMode.User) {
        if (kill) tn.line = '';
        else if (erase) tn.line = tn.line.slice(0, -1);
        else if (tn.line.length < max) tn.line += ch;
        continue;
      }
      // Password: the characters live only in memory (this.typed); state keeps a mask summary.
      const pw = tn.pw;
      let chars = this.typed.get(e.conn.id);
      if (chars === undefined) {
        chars = [];
        this.typed.set(e.conn.id, chars);
      }
      if (kill) {
        chars.length = 0;
        tn.pw = { first: '', last: '', len: 0, lastKnown: true };
      } else if (erase) {
        if (pw.len === 0) continue;
        pw.len--;
        if (chars.length > pw.len) chars.length = pw.len;
        // The new last character is known only if every character is in memory.
        pw.lastKnown = chars.length === pw.len && pw.len > 0;
        pw.last = pw.lastKnown ? chars[pw.len - 1] : '';
        if (pw.len === 0) pw.first = '';
      } else if (pw.len < max) {
        if (pw.len === 0) pw.first = ch;
        if (chars.length === pw.len) chars.push(ch);
        pw.len++;
        pw.last = ch;
        pw.lastKnown = true;
      }
    }
  }

  private telnetLine(s: Session, tn: TelnetState, e: TelnetTextEvent, ctx: DetectorContext): void {
    if (tn.mode === TnMode.User) {
      if (tn.line !== '') tn.user = tn.line;
      tn.line = '';
      tn.mode = TnMode.Idle;
      tn.tail = '';
    } else if (tn.mode === TnMode.Password) {
      const masked = maskFromParts(tn.pw);
      tn.pw = { first: '', last: '', len: 0, lastKnown: true };
      this.typed.delete(e.conn.id);
      tn.mode = TnMode.Idle;
      tn.tail = '';
      this.attempt(s, tn.user, 'login prompt', masked, 'credential', e.frame, e.time, ctx, {});
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  onHttpRequest(e: HttpRequestEvent, ctx: DetectorContext): void {
    let s = this.sessions.get(e.conn.id);
    const found: Array<{ user: string; method: string; masked: string; match?: Omit<Attempt, 'k' | 'm'> }> = [];
    for (const h of e.headers) {
      if (h.name.length !== 13 && h.name.length !== 19) continue; // cheap: only (Proxy-)Authorization
      const n = h.name.toLowerCase();
      if (n !== 'authorization' && n !== 'proxy-authorization') continue;
      const a = parseAuthorization(h.value);
      if (a === null) continue;
      const proxy = n === 'proxy-authorization' ? 'Proxy ' : '';
      const scheme = a.kind === 'basic' ? 'Basic' : a.kind === 'bearer' ? 'Bearer' : shown(a.scheme, 32);
      found.push({ user: a.user, method: `HTTP ${proxy}${scheme}`, masked: maskSecret(a.secret) });
    }
    if (this.queryPassword.test(e.target)) {
      // A password in the URL also lands in server, proxy and browser logs.
      const f = formCredentials(
        'application/x-www-form-urlencoded',
        Buffer.from(targetQuery(e.target), 'latin1'),
        this.userFields,
        this.passwordFields,
      );
      if (f !== null) {
        const path = shown(targetPath(e.target), MAX_PATH);
        found.push({
          user: f.user,
          method: `URL query ${e.method} ${path}`,
          masked: maskSecret(f.secret),
          match: { form: path },
        });
      }
    }
    if (e.bodyLength > 0 && e.body.length > 0 && (e.method === 'POST' || e.method === 'PUT' || e.method === 'PATCH')) {
      const ct = headerValue(e.headers, 'content-type');
      if (ct !== undefined) {
        const f = formCredentials(ct, e.body, this.userFields, this.passwordFields);
        if (f !== null) {
          const path = shown(targetPath(e.target), MAX_PATH);
          const enc = f.encoding === 'urlencoded' ? '' : ` (${f.encoding})`;
          found.push({
            user: f.user,
            method: `form ${e.method} ${path}${enc}`,
            masked: maskSecret(f.secret),
            match: { form: path, posted: true },
          });
        }
      }
    }
    if (found.length === 0) {
      // Keep request/response pairing on a connection already followed.
      if (s !== undefined && s.seq !== undefined) {
        s.seq++;
        this.touch(e.conn.id, s, e.time);
      }
      return;
    }
    this.expire(e.time);
    s = this.connSession(e.conn, 'http', e.time);
    s.seq = (s.seq ?? 0) + 1;
    for (const f of found) {
      this.attempt(s, f.user, f.method, f.masked, 'credential', e.frame, e.time, ctx, { m: s.seq, ...f.match });
    }
  }

  onHttpResponse(e: HttpResponseEvent, ctx: DetectorContext): void {
    const s = this.sessions.get(e.conn.id);
    if (s === undefined || s.seq === undefined || e.status < 200) return;
    // Responses come in request order: the n-th final response answers the n-th request seen
    // since the connection was followed (earlier pipelined requests would shift this: rare).
    this.touch(e.conn.id, s, e.time);
    const answered = (s.rsp ?? 0) + 1;
    s.rsp = answered;
    while (s.wait.length > 0 && (s.wait[0].m as number) < answered) s.wait.shift();
    while (s.wait.length > 0 && s.wait[0].m === answered) {
      const a = s.wait.shift() as Attempt;
      this.resolve(a, httpOutcome(a, e, this.config.maxDecodedBody), e.frame, e.time, ctx);
    }
  }

  // ---- SNMP, LDAP -----------------------------------------------------------------------------

  onSnmp(e: SnmpMessageEvent, ctx: DetectorContext): void {
    if (e.version === 'v3' || e.community === undefined) return;
    const pdu = e.pdu;
    if (pdu === 'response') {
      const s = this.sessions.get(`snmp|${e.dst.ip}|${e.dst.port}|${e.src.ip}|${e.src.port}`);
      if (s === undefined || e.requestId === undefined) return;
      const i = s.wait.findIndex((a) => a.m === e.requestId);
      if (i < 0) return;
      const [a] = s.wait.splice(i, 1);
      // Any response means the agent took the community; authorizationError (16, RFC 3416) means it did not.
      this.resolve(a, e.errorStatus !== 16, e.frame, e.time, ctx);
      return;
    }
    if (pdu === 'report' || pdu === 'unknown') return;
    this.expire(e.time);
    const s = this.open(`snmp|${e.src.ip}|${e.src.port}|${e.dst.ip}|${e.dst.port}`, 'snmp', e.src, e.dst, e.time);
    const masked = maskSecret(e.community);
    const method = `community (SNMP${e.version})`;
    const match = pdu !== 'trap' && e.requestId !== undefined ? { m: e.requestId } : undefined;
    this.attempt(s, '', method, masked, 'credential', e.frame, e.time, ctx, match);
  }

  onLdapBindRequest(e: LdapBindRequestEvent, ctx: DetectorContext): void {
    if (e.auth === 'sasl') {
      this.ldapSasl(e, ctx);
      return;
    }
    if (e.password === undefined || e.password === '') return; // anonymous / unauthenticated
    this.expire(e.time);
    const s = this.connSession(e.conn, 'ldap', e.time);
    this.attempt(s, e.name, 'simple bind', maskSecret(e.password), 'credential', e.frame, e.time, ctx, {
      m: e.messageId,
    });
  }

  /**
   * SASL binds whose credentials hold the password in clear (LDAP carries them as raw octets):
   * PLAIN in one bind (RFC 4616, the user is the authcid); LOGIN in several (draft-murchison-sasl-login:
   * a bind with no credentials, the server's saslBindInProgress (14) asks "Username:", the next
   * bind answers it, then "Password:" and the bind with the password — a client may skip the first
   * step and send the user name at once). Other mechanisms never send the password; one ends an
   * unfinished LOGIN exchange.
   */
  private ldapSasl(e: LdapBindRequestEvent, ctx: DetectorContext): void {
    const mech = (e.mechanism ?? '').toUpperCase();
    if (mech !== 'PLAIN' && mech !== 'LOGIN') {
      const s = this.sessions.get(e.conn.id);
      if (s !== undefined) delete s.sasl;
      return;
    }
    this.expire(e.time);
    const s = this.connSession(e.conn, 'ldap', e.time);
    const creds = e.saslCredentials;
    const match = { m: e.messageId };
    if (mech === 'PLAIN') {
      delete s.sasl;
      const cred = creds === undefined ? null : saslPlain(creds.toString('utf8'));
      if (cred === null) return;
      this.attempt(s, cred.user, 'SASL PLAIN', maskSecret(cred.secret), 'credential', e.frame, e.time, ctx, match);
      return;
    }
    const login = s.sasl?.mech === 'LOGIN' ? s.sasl : undefined;
    if (creds === undefined || (creds.length === 0 && login === undefined)) s.sasl = { mech: 'LOGIN' };
    else if (login === undefined || login.user === undefined)
      s.sasl = { mech: 'LOGIN', user: shown(creds.toString('utf8'), MAX_USER) };
    else {
      delete s.sasl;
      const masked = maskSecret(creds.toString('utf8'));
      this.attempt(s, login.user, 'SASL LOGIN', masked, 'credential', e.frame, e.time, ctx, match);
    }
  }

  /** rexec (512) sends user and password in clear; rlogin/rsh send no password (host trust). The reply is not in the event. */
  onRemoteShell(e: RemoteShellEvent, ctx: DetectorContext): void {
    if (e.protocol !== 'rexec' || e.password === undefined) return;
    this.expire(e.time);
    const s = this.connSession(e.conn, 'rexec', e.time);
    this.attempt(s, e.user, 'rexec', maskSecret(e.password), 'credential', e.frame, e.time, ctx);
  }

  onLdapBindResponse(e: LdapBindResponseEvent, ctx: DetectorContext): void {
    const s = this.sessions.get(e.conn.id);
    if (s === undefined || s.p !== 'ldap') return;
    if (e.resultCode !== 14) delete s.sasl; // anything but saslBindInProgress ends a LOGIN exchange
    const i = s.wait.findIndex((a) => a.m === e.messageId);
    if (i < 0) return;
    const [a] = s.wait.splice(i, 1);
    this.touch(e.conn.id, s, e.time);
    const ok = e.resultCode === 0 ? true : e.resultCode === 49 ? false : null; // 49 invalidCredentials
    this.resolve(a, ok, e.frame, e.time, ctx);
  }
}

/** HTTP reply → login outcome; `maxDecoded` bounds the inflating of a compressed page. */
function httpOutcome(a: Attempt, e: HttpResponseEvent, maxDecoded: number): boolean | null {
  const st = e.status;
  if (st === 401 || st === 403 || st === 407) return false;
  if (a.form === undefined) return st >= 200 && st < 400 ? true : null;
  // A form login: a redirect elsewhere that sets a session cookie succeeded; a redirect back to
  // the login form failed; a posted form answered 200 with an HTML page that again holds a
  // password input is the login form shown again (with its error): failed. Any other 200 page
  // could be either (a landing page, a JSON API answer): unknown.
  if (st === 301 || st === 302 || st === 303 || st === 307 || st === 308) {
    const loc = headerValue(e.headers, 'location');
    if (loc !== undefined && targetPath(loc) === a.form) return false;
    if (loc !== undefined && /log-?in|sign-?in|auth/i.test(targetPath(loc))) return false;
    if (headerValue(e.headers, 'set-cookie') !== undefined) return true;
  }
  if (st === 200 && a.posted === true && servesPasswordForm(e.headers, e.body, maxDecoded)) return false;
  return null;
}
