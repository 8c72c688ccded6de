import { createHash } from 'node:crypto';
import { ConfigError, type CleartextHttpConfig } from '../config';
import type {
  ConnectionInfo,
  HttpRequestEvent,
  HttpResponseEvent,
  TlsClientHelloEvent,
  TlsServerHelloEvent,
} from '../events';
import {
  authScheme,
  formFields,
  headerValue,
  servesPasswordForm,
  targetPath,
  targetQuery,
  urlencodedFields,
  type FormField,
} from '../protocols/http-content';
import type { Detector, DetectorContext } from './detector';
import { shown } from '../finding-text';

/**
 * Unencrypted web (MITRE T1040, network sniffing, is what it exposes): plain HTTP summarised per
 * (Host header — else the server IP — and server ip:port), and what on that traffic a sniffer
 * could take over.
 *
 * - `unencrypted-web`: one finding per host summary — requests, methods, distinct paths
 *   (bounded, query strings never kept), sample paths, clients, redirects to HTTPS.
 *   Severity `info`: plain HTTP is still everywhere for harmless things (OCSP/CRL, package
 *   mirrors with signed content, captive-portal probes), so it is worth knowing, not an alert.
 *   It becomes `medium` when something that grants access travels in it: an `Authorization`
 *   (or `Proxy-Authorization`) header, a session cookie sent or set (Set-Cookie without
 *   `Secure` noted), a login form served (HTML with a password input), a password field
 *   submitted (urlencoded, multipart or JSON body, or query string). Whoever sees the traffic can
 *   replay these: account or session takeover without any exploit. Not `high`: it is exposure,
 *   not an attack seen happening, and the plaintext-credentials detector reports the credential
 *   itself (masked). The finding names WHICH indicators were seen (auth scheme, cookie and field
 *   names, page paths) — never a value.
 * - `possible-ssl-stripping` (T1557): an HTTP page (a 2xx response other than 204 whose type is
 *   in strippingContentTypes, HTML by default: images and OCSP over HTTP are hotlinks) from a host
 *   that the same capture shows on HTTPS — a ClientHello whose SNI is the HTTP Host, or, when
 *   names cannot tell virtual hosts apart (the HTTP Host is an IP literal or the TLS client sent
 *   no SNI), the same server IP answering TLS — in either order. sslstrip keeps the victim on
 *   HTTP while it talks HTTPS upstream, so a host that speaks HTTPS serving pages over HTTP is
 *   the trace it leaves. `medium`: sites that serve both without redirecting exist, so it asks
 *   for a look rather than asserts an attack. A redirect from HTTP to HTTPS is the normal
 *   upgrade and is only counted in the summary. HSTS preload knowledge is out of scope.
 *
 * State is bounded (caps below, expiry by packet time) and plain JSON; findings do not depend
 * on how the capture was cut into chunks.
 */

interface HostSummary {
  /** Finding key: host key + first frame (a summary closed by expiry and reopened is a new finding). */
  fk: string;
  /** Normalised Host name ('' when absent); `named` when it is a DNS name rather than an IP literal. */
  name: string;
  named: boolean;
  ip: string;
  port: number;
  first: number;
  last: number;
  requests: number;
  methods: Record<string, number>;
  paths: string[];
  pathsCapped: boolean;
  clients: string[];
  clientsCapped: boolean;
  redirectsToHttps: number;
  /** Indicator kind → names (bounded). */
  ind: Record<string, string[]>;
  sensitiveFrames: number[];
  /** 2xx-with-content responses: count, first frame/time. */
  content: number;
  contentFrame: number;
  contentTime: number;
  /** SSL-stripping match, once found. */
  strip: StripMatch | null;
}

interface StripMatch {
  via: 'sni' | 'server-ip';
  tlsFrame: number;
  tlsTime: number;
  tlsServer: string;
  sni?: string;
}

interface HttpsSeen {
  frame: number;
  time: number;
  last: number;
  server: string;
  /** server-ip entries: the first handshake to it whose ClientHello carried no SNI (0 = none). */
  noSniFrame: number;
  noSniTime: number;
}

interface PendingConn {
  /** Host key and path of each request awaiting its response, in order. */
  q: Array<[string, string]>;
  time: number;
}

export interface CleartextHttpState {
  hosts: Array<[string, HostSummary]>;
  names: Array<[string, HttpsSeen]>;
  ips: Array<[string, HttpsSeen]>;
  pending: Array<[string, PendingConn]>;
  hellos: Array<[string, [string, number]]>;
  content: Array<[string, string[]]>;
}

const MAX_METHODS = 16;
const MAX_PIPELINE = 64;
const MAX_SENSITIVE_FRAMES = 10;
const MAX_INDEX_KEYS = 8;
const MAX_COOKIES = 64;
const MAX_NAME = 64;

/** Host header → lowercase name without port, brackets or trailing dot. */
export function normaliseHost(raw: string | undefined): string {
  if (raw === undefined) return '';
  let h = raw.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h.slice(1);
  } else {
    const c = h.indexOf(':');
    if (c >= 0 && c === h.lastIndexOf(':')) h = h.slice(0, c); // one colon: host:port; more: bare IPv6
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return shown(h, 253);
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/**
 * The path of a request target without query or fragment (they may hold secrets), as a key for
 * counting distinct paths: printable and cut to `max` characters, a cut one followed by `#` and
 * a hash of the whole path so long paths that share a prefix (OCSP requests) stay distinct.
 */
function pathKey(target: string, max: number): string {
  const t = targetPath(target);
  if (t.length <= max) return shown(t, max);
  return `${shown(t, max)}#${createHash('sha1').update(t, 'latin1').digest('base64url').slice(0, 12)}`;
}

/** What a path key shows: the (possibly cut) path. */
function pathShown(key: string): string {
  const h = key.indexOf('#');
  return h < 0 ? key : key.slice(0, h);
}

/** Names of the fields that carry a value (an empty password field exposes nothing); values are not kept. */
function filledNames(fields: readonly FormField[]): string[] {
  const out: string[] = [];
  for (const f of fields) if (f.name !== '' && f.value !== '') out.push(f.name);
  return out;
}

function push(list: string[], v: string, max: number): boolean {
  if (list.includes(v) || list.length >= max) return false;
  list.push(v);
  return true;
}

function lru<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
}

function capTo<V>(m: Map<string, V>, max: number): void {
  while (m.size > max) m.delete(m.keys().next().value as string);
}

export class CleartextHttpDetector implements Detector<CleartextHttpState> {
  readonly id = 'cleartext-http';
  private hosts = new Map<string, HostSummary>();
  /** HTTPS seen, by SNI name and by server IP. */
  private names = new Map<string, HttpsSeen>();
  private ips = new Map<string, HttpsSeen>();
  private pending = new Map<string, PendingConn>();
  /** ClientHello SNI per connection ('' = none) and its packet time, until the ServerHello. */
  private hellos = new Map<string, [string, number]>();
  /** 'n:'+name / 'i:'+ip → host keys that served HTTP content (for HTTPS seen afterwards). */
  private content = new Map<string, string[]>();

  private readonly sessionNames: Set<string>;
  private readonly sessionPatterns: RegExp[];
  private readonly passwordField: RegExp;
  private readonly httpsPorts: Set<number>;
  private readonly stripTypes: string[];

  constructor(private readonly config: CleartextHttpConfig) {
    this.sessionNames = new Set(config.sessionCookieNames.map((n) => n.toLowerCase()));
    this.sessionPatterns = config.sessionCookiePatterns.map((p) => compile(p, 'sessionCookiePatterns'));
    this.passwordField = compile(config.passwordFieldPattern, 'passwordFieldPattern');
    this.httpsPorts = new Set(config.httpsPorts);
    this.stripTypes = config.strippingContentTypes.map((t) => t.toLowerCase());
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  onHttpRequest(e: HttpRequestEvent, ctx: DetectorContext): void {
    const c = this.config;
    this.expire(e.time);
    const ip = e.conn.server.ip;
    const given = normaliseHost(e.host);
    const name = given === ip ? '' : given; // Host: <server IP> and no Host are the same summary
    const hk = `${name}|${ip}:${e.conn.server.port}`;
    let h = this.hosts.get(hk);
    if (h === undefined) {
      h = {
        fk: `${hk}#${e.frame}`,
        name,
        named: name !== '' && !isIpLiteral(name),
        ip,
        port: e.conn.server.port,
        first: e.time,
        last: e.time,
        requests: 0,
        methods: {},
        paths: [],
        pathsCapped: false,
        clients: [],
        clientsCapped: false,
        redirectsToHttps: 0,
        ind: {},
        sensitiveFrames: [],
        content: 0,
        contentFrame: 0,
        contentTime: 0,
        strip: null,
      };
    }
    lru(this.hosts, hk, h);
    capTo(this.hosts, c.maxHosts);
    h.last = e.time;
    h.requests++;
    const m = Object.hasOwn(h.methods, e.method) || Object.keys(h.methods).length < MAX_METHODS ? e.method : 'other';
    h.methods[m] = (h.methods[m] ?? 0) + 1;
    const pk = pathKey(e.target, c.maxPathLength);
    const path = pathShown(pk);
    if (!h.paths.includes(pk)) {
      if (h.paths.length < c.maxPathsPerHost) h.paths.push(pk);
      else h.pathsCapped = true;
    }
    if (!h.clients.includes(e.conn.client.ip)) {
      if (h.clients.length < c.maxClientsPerHost) h.clients.push(e.conn.client.ip);
      else h.clientsCapped = true;
    }
    const sensitive = this.requestIndicators(h, e);
    if (sensitive) this.sensitiveFrame(h, e.frame);
    this.await(e.conn, hk, path, e.time);
    this.reportSummary(h, ctx, e.time, e.frame);
  }

  onHttpResponse(e: HttpResponseEvent, ctx: DetectorContext): void {
    if (e.status < 200) return; // 1xx: interim, the request still waits for its response
    this.expire(e.time);
    const p = this.pending.get(e.conn.id);
    if (p === undefined || p.q.length === 0) return; // no request seen: nothing to attribute it to
    const [hk, path] = p.q.shift() as [string, string];
    if (p.q.length === 0) this.pending.delete(e.conn.id);
    const h = this.hosts.get(hk);
    if (h === undefined) return;
    let changed = false;
    if (e.status >= 300 && e.status < 400 && e.status !== 304) {
      const loc = headerValue(e.headers, 'location');
      if (loc !== undefined && /^https:\/\//i.test(loc.trim())) {
        const target = normaliseHost(/^https:\/\/([^/?#]*)/i.exec(loc.trim())?.[1]);
        if (target === (h.name || h.ip)) {
          h.redirectsToHttps++;
          changed = true;
        }
      }
    }
    if (this.responseIndicators(h, e, path)) {
      this.sensitiveFrame(h, e.frame);
      changed = true;
    }
    if (changed) this.reportSummary(h, ctx, e.time, e.frame);
    if (e.status >= 200 && e.status < 300 && e.status !== 204 && this.isPageContent(e))
      this.servedContent(h, hk, e, ctx);
  }

  // ---- TLS ----------------------------------------------------------------------------------

  onTlsClientHello(e: TlsClientHelloEvent, ctx: DetectorContext): void {
    if (!this.httpsPorts.has(e.conn.server.port)) return;
    this.expire(e.time);
    const sni = e.sni === undefined ? '' : normaliseHost(e.sni);
    lru(this.hellos, e.conn.id, [sni, e.time]);
    capTo(this.hellos, this.config.maxPendingConnections);
    if (sni === '') return;
    const seen = this.seen(this.names, sni, e.conn, e.frame, e.time);
    for (const h of this.contentHosts(`n:${sni}`)) {
      if (h.strip === null)
        this.stripFound(h, { via: 'sni', tlsFrame: seen.frame, tlsTime: seen.time, tlsServer: seen.server, sni }, ctx);
    }
  }

  onTlsServerHello(e: TlsServerHelloEvent, ctx: DetectorContext): void {
    if (!this.httpsPorts.has(e.conn.server.port)) return;
    this.expire(e.time);
    const hello = this.hellos.get(e.conn.id);
    this.hellos.delete(e.conn.id);
    const ip = e.conn.server.ip;
    const seen = this.seen(this.ips, ip, e.conn, e.frame, e.time);
    // A handshake without SNI (or whose ClientHello was not seen) cannot tell virtual hosts apart.
    if ((hello === undefined || hello[0] === '') && seen.noSniFrame === 0) {
      seen.noSniFrame = e.frame;
      seen.noSniTime = e.time;
    }
    for (const h of this.contentHosts(`i:${ip}`)) {
      if (h.strip !== null) continue;
      const m = this.ipMatch(h, seen);
      if (m !== null) this.stripFound(h, m, ctx);
    }
  }

  // ---- indicators ---------------------------------------------------------------------------

  /** Notes one indicator (bounded list of names); returns true, for `any = this.addInd(...)`. */
  private addInd(h: HostSummary, kind: string, value: string): true {
    const list = h.ind[kind] ?? (h.ind[kind] = []);
    push(list, shown(value, MAX_NAME), this.config.maxIndicatorNames);
    return true;
  }

  private isSessionCookie(name: string): boolean {
    return this.sessionNames.has(name.toLowerCase()) || this.sessionPatterns.some((r) => r.test(name));
  }

  /** Records request indicators (names only); true when any was seen. */
  private requestIndicators(h: HostSummary, e: HttpRequestEvent): boolean {
    let any = false;
    for (const hd of e.headers) {
      const n = hd.name.toLowerCase();
      if (n === 'authorization' || n === 'proxy-authorization') {
        any = this.addInd(h, n === 'authorization' ? 'authorization' : 'proxyAuthorization', authScheme(hd.value));
      } else if (n === 'cookie') {
        const parts = hd.value.split(';', MAX_COOKIES);
        for (let i = 0; i < parts.length && i < MAX_COOKIES; i++) {
          const eq = parts[i].indexOf('=');
          const cname = (eq < 0 ? '' : parts[i].slice(0, eq)).trim();
          if (cname !== '' && this.isSessionCookie(cname)) any = this.addInd(h, 'sessionCookies', cname);
        }
      }
    }
    for (const [where, names] of this.formFields(e)) {
      for (const f of names) if (this.passwordField.test(f)) any = this.addInd(h, 'passwordFields', `${f} (${where})`);
    }
    return any;
  }

  private formFields(e: HttpRequestEvent): Array<[string, string[]]> {
    const out: Array<[string, string[]]> = [];
    const q = targetQuery(e.target);
    if (q !== '') out.push(['query', filledNames(urlencodedFields(q))]);
    if (e.body.length === 0) return out;
    let ct = headerValue(e.headers, 'content-type') ?? '';
    // No Content-Type and a body that starts like name=…: read as a urlencoded form.
    if (ct === '' && /^[\w.%+[\]-]{1,64}=/.test(e.body.toString('latin1', 0, 65)))
      ct = 'application/x-www-form-urlencoded';
    const form = formFields(ct, e.body);
    if (form !== null) out.push([form.encoding, filledNames(form.fields)]);
    return out;
  }

  /** Set-Cookie session names (Secure or not) and login forms; true when any was seen. */
  private responseIndicators(h: HostSummary, e: HttpResponseEvent, path: string): boolean {
    let any = false;
    for (const hd of e.headers) {
      if (hd.name.length !== 10 || hd.name.toLowerCase() !== 'set-cookie') continue;
      const attrs = hd.value.split(';', 32);
      const eq = attrs[0].indexOf('=');
      const cname = (eq < 0 ? '' : attrs[0].slice(0, eq)).trim();
      if (cname === '' || !this.isSessionCookie(cname)) continue;
      any = this.addInd(h, 'sessionCookiesSet', cname);
      const secure = attrs.slice(1).some((a) => a.trim().toLowerCase() === 'secure');
      if (!secure) this.addInd(h, 'sessionCookiesSetWithoutSecure', cname);
    }
    if (servesPasswordForm(e.headers, e.body, this.config.maxDecodedBody)) any = this.addInd(h, 'loginForms', path);
    return any;
  }

  private sensitiveFrame(h: HostSummary, frame: number): void {
    if (h.sensitiveFrames.length < MAX_SENSITIVE_FRAMES && !h.sensitiveFrames.includes(frame))
      h.sensitiveFrames.push(frame);
  }

  // ---- SSL stripping ------------------------------------------------------------------------

  /** Content the stripping check counts: strippingContentTypes (HTML pages by default); no Content-Type counts. */
  private isPageContent(e: HttpResponseEvent): boolean {
    const types = this.stripTypes;
    if (types.length === 0) return true;
    const ct = headerValue(e.headers, 'content-type');
    if (ct === undefined) return true;
    const v = ct.trim().toLowerCase();
    return types.some((t) => v.startsWith(t));
  }

  /** Records HTTPS seen for a name or IP (first frame kept, last time refreshed). */
  private seen(m: Map<string, HttpsSeen>, k: string, conn: ConnectionInfo, frame: number, time: number): HttpsSeen {
    let v = m.get(k);
    if (v === undefined) {
      v = {
        frame,
        time,
        last: time,
        server: `${conn.server.ip}:${conn.server.port}`,
        noSniFrame: 0,
        noSniTime: 0,
      };
    }
    v.last = Math.max(v.last, time);
    lru(m, k, v);
    capTo(m, this.config.maxHttpsServers);
    return v;
  }

  /** Server-IP match: for an IP-literal/absent Host any HTTPS on that IP; for a named host only a handshake without SNI. */
  private ipMatch(h: HostSummary, v: HttpsSeen): StripMatch | null {
    if (!h.named) return { via: 'server-ip', tlsFrame: v.frame, tlsTime: v.time, tlsServer: v.server };
    if (v.noSniFrame !== 0)
      return { via: 'server-ip', tlsFrame: v.noSniFrame, tlsTime: v.noSniTime, tlsServer: v.server };
    return null;
  }

  /** HTTPS already seen for this host? */
  private tlsMatch(h: HostSummary): StripMatch | null {
    if (h.name !== '') {
      const v = this.names.get(h.name);
      if (v !== undefined) return { via: 'sni', tlsFrame: v.frame, tlsTime: v.time, tlsServer: v.server, sni: h.name };
    }
    const v = this.ips.get(h.ip);
    return v === undefined ? null : this.ipMatch(h, v);
  }

  /** Host summaries that served content, by 'n:'+name or 'i:'+ip (stale keys pruned). */
  private contentHosts(k: string): HostSummary[] {
    const keys = this.content.get(k);
    if (keys === undefined) return [];
    const out: HostSummary[] = [];
    const live = keys.filter((hk) => {
      const h = this.hosts.get(hk);
      if (h !== undefined && h.content > 0) out.push(h);
      return h !== undefined;
    });
    if (live.length === 0) this.content.delete(k);
    else if (live.length !== keys.length) this.content.set(k, live);
    return out;
  }

  private index(k: string, hk: string): void {
    const keys = this.content.get(k) ?? [];
    if (keys.includes(hk)) return;
    if (keys.length >= MAX_INDEX_KEYS) keys.shift();
    keys.push(hk);
    lru(this.content, k, keys);
    capTo(this.content, 2 * this.config.maxHosts);
  }

  private servedContent(h: HostSummary, hk: string, e: HttpResponseEvent, ctx: DetectorContext): void {
    h.content++;
    if (h.content === 1) {
      h.contentFrame = e.frame;
      h.contentTime = e.time;
      if (h.name !== '') this.index(`n:${h.name}`, hk);
      this.index(`i:${h.ip}`, hk);
    }
    if (h.strip !== null) {
      this.reportStrip(h, ctx, e.frame, e.time);
      return;
    }
    const m = this.tlsMatch(h);
    if (m !== null) {
      h.contentFrame = e.frame; // the first content served while the host was known on HTTPS
      h.contentTime = e.time;
      this.stripFound(h, m, ctx);
    }
  }

  /** First match for a host: both frames in evidence, the earlier reported first. */
  private stripFound(h: HostSummary, m: StripMatch, ctx: DetectorContext): void {
    h.strip = m;
    const httpFirst = h.contentFrame < m.tlsFrame;
    if (httpFirst) {
      this.reportStrip(h, ctx, h.contentFrame, h.contentTime);
      this.reportStrip(h, ctx, m.tlsFrame, m.tlsTime);
    } else {
      this.reportStrip(h, ctx, m.tlsFrame, m.tlsTime);
      this.reportStrip(h, ctx, h.contentFrame, h.contentTime);
    }
  }

  private reportStrip(h: HostSummary, ctx: DetectorContext, frame: number, time: number): void {
    const m = h.strip as StripMatch;
    const host = h.name || h.ip;
    const server = `${h.ip}:${h.port}`;
    const how =
      m.via === 'sni'
        ? `a TLS ClientHello for ${host} (SNI) to ${m.tlsServer}`
        : `${m.tlsServer} answering TLS${h.named ? ' to a client that sent no SNI' : ''}`;
    ctx.report({
      key: `strip|${h.fk}`,
      type: 'possible-ssl-stripping',
      severity: 'medium',
      mitre: 'T1557',
      title: `Possible SSL stripping: ${host} seen on HTTPS and serving content over plain HTTP (${server})`,
      description:
        `${host} served ${h.content} HTTP response(s) with content from ${server} while the same capture shows it on HTTPS ` +
        `(${how}, frame ${m.tlsFrame}). An on-path sslstrip keeps victims on HTTP while it talks HTTPS upstream; ` +
        'a site that serves both without redirecting looks the same, so check which clients got the HTTP pages and why.',
      time,
      frame,
      count: h.content,
      src: { ip: h.clients[0] },
      dst: { ip: h.ip, port: h.port },
      details: {
        host,
        server,
        via: m.via,
        httpFrame: h.contentFrame,
        tlsFrame: m.tlsFrame,
        tlsServer: m.tlsServer,
        ...(m.sni !== undefined ? { sni: m.sni } : {}),
        contentResponses: h.content,
        clients: h.clients.slice(),
      },
    });
  }

  // ---- state --------------------------------------------------------------------------------

  /** Drops what has been idle past its timeout (every map is kept in last-touched order). */
  private expire(now: number): void {
    const c = this.config;
    for (const [k, h] of this.hosts) {
      if (now - h.last <= c.hostIdleTimeout) break;
      this.hosts.delete(k);
    }
    for (const m of [this.names, this.ips]) {
      for (const [k, v] of m) {
        if (now - v.last <= c.httpsMemory) break;
        m.delete(k);
      }
    }
    for (const [k, p] of this.pending) {
      if (now - p.time <= c.responseTimeout) break;
      this.pending.delete(k);
    }
    for (const [k, v] of this.hellos) {
      if (now - v[1] <= c.responseTimeout) break;
      this.hellos.delete(k);
    }
  }

  // ---- reports ------------------------------------------------------------------------------

  private await(conn: ConnectionInfo, hk: string, path: string, time: number): void {
    let p = this.pending.get(conn.id);
    if (p === undefined) p = { q: [], time };
    p.time = time;
    if (p.q.length < MAX_PIPELINE) p.q.push([hk, path]);
    lru(this.pending, conn.id, p);
    capTo(this.pending, this.config.maxPendingConnections);
  }

  private reportSummary(h: HostSummary, ctx: DetectorContext, time: number, frame: number): void {
    const host = h.name || h.ip;
    const server = `${h.ip}:${h.port}`;
    const kinds = Object.keys(h.ind);
    const sensitive = kinds.length > 0;
    const methods = Object.entries(h.methods)
      .map(([m, n]) => `${m} ${n}`)
      .join(', ');
    const paths = `${h.paths.length}${h.pathsCapped ? '+' : ''} distinct path(s)`;
    const what = kinds.map((k) => `${INDICATOR_TEXT[k] ?? k}: ${h.ind[k].join(', ')}`).join('; ');
    const ind: Record<string, string[]> = {};
    for (const k of kinds) ind[k] = h.ind[k].slice();
    ctx.report({
      key: h.fk,
      type: 'unencrypted-web',
      severity: sensitive ? 'medium' : 'info',
      mitre: 'T1040',
      title: sensitive
        ? `Credentials or session material over unencrypted HTTP to ${host} (${server})`
        : `Unencrypted web traffic to ${host} (${server})`,
      description:
        `${h.requests} plain-HTTP request(s) to ${host} at ${server} (${methods}; ${paths}) from ` +
        `${h.clients.length}${h.clientsCapped ? '+' : ''} client(s)` +
        (h.redirectsToHttps > 0 ? `; ${h.redirectsToHttps} redirected to HTTPS (the normal upgrade)` : '') +
        '. Anyone on the path can read and change it. ' +
        (sensitive
          ? `It carried what grants access — ${what} (names only; values are not recorded). Whoever sees this traffic can replay it.`
          : 'No credentials or session cookies were seen in it.'),
      time,
      frame,
      count: h.requests,
      src: { ip: h.clients[0] },
      dst: { ip: h.ip, port: h.port },
      details: {
        host,
        server,
        requests: h.requests,
        methods: { ...h.methods },
        distinctPaths: h.paths.length,
        pathsCapped: h.pathsCapped,
        samplePaths: h.paths.slice(0, this.config.samplePaths).map(pathShown),
        clients: h.clients.slice(),
        clientsCapped: h.clientsCapped,
        redirectsToHttps: h.redirectsToHttps,
        ...(sensitive ? { indicators: ind, sensitiveFrames: h.sensitiveFrames.slice() } : {}),
      },
    });
  }

  snapshot(): CleartextHttpState {
    return structuredClone({
      hosts: [...this.hosts],
      names: [...this.names],
      ips: [...this.ips],
      pending: [...this.pending],
      hellos: [...this.hellos],
      content: [...this.content],
    });
  }

  restore(s: CleartextHttpState): void {
    const c = structuredClone(s);
    this.hosts = new Map(c.hosts);
    this.names = new Map(c.names);
    this.ips = new Map(c.ips);
    this.pending = new Map(c.pending);
    this.hellos = new Map(c.hellos);
    this.content = new Map(c.content);
  }
}

const INDICATOR_TEXT: Record<string, string> = {
  authorization: 'Authorization header',
  proxyAuthorization: 'Proxy-Authorization header',
  sessionCookies: 'session cookie sent',
  sessionCookiesSet: 'session cookie set',
  sessionCookiesSetWithoutSecure: 'set without Secure',
  loginForms: 'login form served at',
  passwordFields: 'password field submitted',
};

function compile(source: string, key: string): RegExp {
  try {
    return new RegExp(source, 'i');
  } catch (err) {
    throw new ConfigError(`detectors.cleartext-http.${key}: ${(err as Error).message}`);
  }
}
