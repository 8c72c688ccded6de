import type { ThreatIntelConfig } from '../config';
import type { DecodedPacket } from '../decode/decoded-packet';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../decode/address';
import { isSpecialUseIPv4, isSpecialUseIPv6 } from '../decode/address-class';
import type { DnsMessageEvent, HttpRequestEvent, TlsClientHelloEvent } from '../events';
import { severityRank, type HostRef, type Severity, type FindingReport } from '../finding';
import type { IndicatorHit, IndicatorIndex, IndicatorKind } from '../intel/indicator-index';
import { MAX_URL_LENGTH, trafficName } from '../intel/indicator-text';
import type { Detector, DetectorContext } from './detector';
import { shown } from '../finding-text';

/**
 * Threat intelligence: traffic touching an indicator from a loaded feed (the index comes in
 * through DetectorResources.intel; without it this detector subscribes to nothing and costs
 * nothing). Matched fields:
 *
 * - `ip.src` / `ip.dst`: every IPv4/IPv6 packet's addresses (exact and CIDR; IPv4 through the
 *   index's typed-array lookup, no text per packet);
 * - `dns.query`: DNS question names, with parent-domain matching;
 * - `dns.answer`: A/AAAA addresses and CNAME targets in responses;
 * - `tls.sni`: the ClientHello's server name;
 * - `http.host` / `http.url`: the Host header (name or address) and the request URL.
 *
 * One finding per (field, indicator, the other host: the internal side of the conversation),
 * counted per packet / message. Severity is the highest of the listing feeds'. MITRE: addresses
 * and URLs → T1071 Application Layer Protocol (.001 Web for URLs): listed addresses are C2 and
 * malware infrastructure an implant reaches over ordinary protocols; domains → T1568 Dynamic
 * Resolution: malware finds its C2 by resolving names (fast flux, DGAs), which is what domain
 * feeds list and why the lookup itself is the signal.
 *
 * The detector keeps no state across packets (the finding store counts), so snapshot() is empty
 * and chunked runs match whole ones; a bounded cache of built reports is only a speed-up, and
 * every field that can differ between packets of one finding (ports, the address inside a CIDR,
 * the name under a listed domain) is set from the current packet, so a report rebuilt after
 * restore() equals the cached one.
 */

export type ThreatIntelState = Record<string, never>;

export type IntelField = 'ip.src' | 'ip.dst' | 'dns.query' | 'dns.answer' | 'tls.sni' | 'http.host' | 'http.url';

const MITRE: Record<IndicatorKind, string> = { ip: 'T1071', domain: 'T1568', url: 'T1071.001' };
const TYPE: Record<IndicatorKind, string> = {
  ip: 'blocklisted-ip',
  domain: 'blocklisted-domain',
  url: 'blocklisted-url',
};
const FIELD_TEXT: Record<IntelField, string> = {
  'ip.src': 'sent traffic (IP source)',
  'ip.dst': 'received traffic (IP destination)',
  'dns.query': 'was looked up in DNS',
  'dns.answer': 'appeared in a DNS answer',
  'tls.sni': 'was the TLS server name (SNI)',
  'http.host': 'was the HTTP Host',
  'http.url': 'was requested over HTTP',
};
/** Reports kept ready-built; beyond this the cache starts over (it only saves string building). */
const MAX_CACHED_REPORTS = 4096;

export class ThreatIntelDetector implements Detector<ThreatIntelState> {
  readonly id = 'threat-intel';
  // Hooks exist only for what the loaded index can match: the pipeline runs the parsers (and
  // calls onPacket) only for detectors that have the hook.
  onPacket?: (p: DecodedPacket, ctx: DetectorContext) => void;
  onDns?: (e: DnsMessageEvent, ctx: DetectorContext) => void;
  onTlsClientHello?: (e: TlsClientHelloEvent, ctx: DetectorContext) => void;
  onHttpRequest?: (e: HttpRequestEvent, ctx: DetectorContext) => void;

  private readonly reports = new Map<string, FindingReport>();
  /** IPv4 reports with the listed address they were last built for (a CIDR covers many). */
  private readonly v4Reports = new Map<string, { r: FindingReport; listed: number }>();
  private readonly severityOfSet = new Map<readonly number[], Severity>();
  private lastS = -1;
  private lastD = -1;
  private lastHs = -1;
  private lastHd = -1;

  constructor(
    private readonly config: ThreatIntelConfig,
    private readonly index?: IndicatorIndex,
  ) {
    if (index === undefined || index.size === 0) return;
    const ips = index.hasIPv4 || index.hasIPv6;
    if (ips) this.onPacket = this.packet.bind(this);
    if (ips || index.hasDomains) this.onDns = this.dns.bind(this);
    if (index.hasDomains) this.onTlsClientHello = this.tls.bind(this);
    // An address literal in Host is the packet's own destination (ip.dst already sees it): only
    // names and URLs need the HTTP parser.
    if (index.hasDomains || index.hasUrls) this.onHttpRequest = this.http.bind(this);
  }

  snapshot(): ThreatIntelState {
    return {};
  }

  restore(): void {
    this.reports.clear();
    this.v4Reports.clear();
  }

  // ---- packets: the hot path ------------------------------------------------------------------

  private packet(p: DecodedPacket, ctx: DetectorContext): void {
    const idx = this.index!;
    if (p.ipVersion === 4) {
      if (!idx.hasIPv4) return;
      const s = p.src4 >>> 0;
      const d = p.dst4 >>> 0;
      // Consecutive packets mostly belong to one conversation, either way round: reuse the last
      // pair's lookups (a pure function of the addresses, so this is a cache, not state).
      let hs: number;
      let hd: number;
      if (s === this.lastS && d === this.lastD) {
        hs = this.lastHs;
        hd = this.lastHd;
      } else if (s === this.lastD && d === this.lastS) {
        hs = this.lastHd;
        hd = this.lastHs;
      } else {
        hs = idx.lookupV4(s);
        hd = idx.lookupV4(d);
        this.lastS = s;
        this.lastD = d;
        this.lastHs = hs;
        this.lastHd = hd;
      }
      if (hs < 0 && hd < 0) return;
      const special = this.config.matchSpecialUseAddresses;
      if (hs >= 0 && (special || !isSpecialUseIPv4(s))) this.v4Hits(hs, 'ip.src', p, s, d, ctx);
      if (hd >= 0 && (special || !isSpecialUseIPv4(d))) this.v4Hits(hd, 'ip.dst', p, s, d, ctx);
    } else if (p.ipVersion === 6 && idx.hasIPv6) {
      const special = this.config.matchSpecialUseAddresses;
      for (const [field, off] of [
        ['ip.src', p.src6Off],
        ['ip.dst', p.dst6Off],
      ] as const) {
        if (off < 0 || (!special && isSpecialUseIPv6(p.buf, off))) continue;
        const hits = idx.matchIPv6(p.buf, off);
        if (hits.length === 0) continue;
        const src: HostRef = { ip: formatIPv6(p.buf, p.src6Off) };
        const dst: HostRef = { ip: formatIPv6(p.buf, p.dst6Off) };
        const other = field === 'ip.src' ? dst.ip! : src.ip!;
        for (const h of hits)
          this.hit(h, field, other, field === 'ip.src' ? src.ip! : dst.ip!, src, dst, p.time, p.frame, ctx);
      }
    }
  }

  private v4Hits(id: number, field: 'ip.src' | 'ip.dst', p: DecodedPacket, s: number, d: number, ctx: DetectorContext) {
    const idx = this.index!;
    const other = field === 'ip.src' ? d : s;
    const listed = field === 'ip.src' ? s : d;
    for (let i = id; i >= 0; i = idx.v4Parent(i)) {
      const key = `${field}|4:${i}|${other}`;
      let c = this.v4Reports.get(key);
      if (c === undefined) {
        const srcText = formatIPv4(s);
        const dstText = formatIPv4(d);
        const r = this.build(
          key,
          idx.v4Hit(i),
          field,
          field === 'ip.src' ? srcText : dstText,
          field === 'ip.src' ? dstText : srcText,
          { ip: srcText },
          { ip: dstText },
        );
        if (this.v4Reports.size >= MAX_CACHED_REPORTS) this.v4Reports.clear();
        c = { r, listed };
        this.v4Reports.set(key, c);
      } else if (c.listed !== listed) {
        // A CIDR covers many addresses: the finding shows the latest one (last wins, as the
        // store merges), so a report built after restore() is the same as one carried along.
        const text = formatIPv4(listed);
        c.r.src = { ip: formatIPv4(s) };
        c.r.dst = { ip: formatIPv4(d) };
        c.r.details = { ...c.r.details, observed: text };
        c.listed = listed;
      }
      c.r.time = p.time;
      c.r.frame = p.frame;
      ctx.report(c.r);
    }
  }

  // ---- DNS, TLS, HTTP -------------------------------------------------------------------------

  private dns(e: DnsMessageEvent, ctx: DetectorContext): void {
    const idx = this.index!;
    // The querier is the host of interest: the sender of a query, the receiver of a response.
    const client = e.isResponse ? e.dst : e.src;
    const server = e.isResponse ? e.src : e.dst;
    const src: HostRef = { ip: client.ip, port: client.port };
    const dst: HostRef = { ip: server.ip, port: server.port };
    if (idx.hasDomains) {
      for (let i = 0; i < e.questions.length && i < 4; i++) {
        const name = trafficName(e.questions[i].name);
        for (const h of idx.matchDomain(name))
          this.hit(h, 'dns.query', client.ip, name, src, dst, e.time, e.frame, ctx);
      }
    }
    if (!e.isResponse) return;
    const n = Math.min(e.answers.length, this.config.maxDnsAnswers);
    for (let i = 0; i < n; i++) {
      const a = e.answers[i];
      let hits: IndicatorHit[] = [];
      let value = a.data;
      if (a.type === 'A' || a.type === 'AAAA') {
        if (!this.config.matchSpecialUseAddresses && this.specialText(a.data)) continue;
        hits = idx.matchIpText(a.data);
      } else if (a.type === 'CNAME' && idx.hasDomains) {
        value = trafficName(a.data);
        hits = idx.matchDomain(value);
      }
      for (const h of hits) this.hit(h, 'dns.answer', client.ip, value, src, dst, e.time, e.frame, ctx);
    }
  }

  private specialText(ip: string): boolean {
    const v4 = parseIPv4(ip);
    if (!Number.isNaN(v4)) return isSpecialUseIPv4(v4);
    const v6 = parseIPv6(ip);
    return v6 === null || isSpecialUseIPv6(v6, 0);
  }

  private tls(e: TlsClientHelloEvent, ctx: DetectorContext): void {
    if (e.sni === undefined || e.sni === '') return;
    const name = trafficName(e.sni);
    const src: HostRef = { ip: e.conn.client.ip, port: e.conn.client.port };
    const dst: HostRef = { ip: e.conn.server.ip, port: e.conn.server.port };
    for (const h of this.index!.matchDomain(name))
      this.hit(h, 'tls.sni', e.conn.client.ip, name, src, dst, e.time, e.frame, ctx);
  }

  private http(e: HttpRequestEvent, ctx: DetectorContext): void {
    const idx = this.index!;
    const src: HostRef = { ip: e.conn.client.ip, port: e.conn.client.port };
    const dst: HostRef = { ip: e.conn.server.ip, port: e.conn.server.port };
    const client = e.conn.client.ip;
    const rawHost = e.host?.trim();
    if (rawHost !== undefined && rawHost !== '') {
      // Host without its port; an address literal is matched as an address.
      let h = rawHost.startsWith('[') ? rawHost.slice(1, Math.max(1, rawHost.indexOf(']'))) : rawHost;
      if (!rawHost.startsWith('[')) {
        const colon = h.indexOf(':');
        if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
      }
      const name = trafficName(h);
      const asIp = parseIPv4(name);
      const isIp = !Number.isNaN(asIp) || name.includes(':');
      const hits = isIp
        ? this.config.matchSpecialUseAddresses || !this.specialText(name)
          ? idx.matchIpText(name)
          : []
        : idx.matchDomain(name);
      for (const hit of hits) this.hit(hit, 'http.host', client, name, src, dst, e.time, e.frame, ctx);
    }
    if (idx.hasUrls) {
      const target = e.target.length > MAX_URL_LENGTH ? e.target.slice(0, MAX_URL_LENGTH) : e.target;
      const host = rawHost !== undefined && rawHost !== '' ? rawHost : e.conn.server.ip;
      for (const hit of idx.matchRequest(host, target))
        this.hit(hit, 'http.url', client, shown(`${host}${target}`, 300), src, dst, e.time, e.frame, ctx);
    }
  }

  // ---- reporting ------------------------------------------------------------------------------

  private hit(
    h: IndicatorHit,
    field: IntelField,
    other: string,
    observed: string,
    src: HostRef,
    dst: HostRef,
    time: number,
    frame: number,
    ctx: DetectorContext,
  ): void {
    const key = `${field}|${h.kind}:${h.indicator}|${other}`;
    let r = this.reports.get(key);
    if (r === undefined) {
      r = this.build(key, h, field, observed, other, src, dst);
      if (this.reports.size >= MAX_CACHED_REPORTS) this.reports.clear();
      this.reports.set(key, r);
    }
    r.time = time;
    r.frame = frame;
    r.src = src;
    r.dst = dst;
    // What matched this time (a.evil.com, b.evil.com … under evil.com): the latest is shown.
    if (r.details!.observed !== observed) r.details = { ...r.details, observed: shown(observed, 300) };
    ctx.report(r);
  }

  private severity(feeds: readonly number[]): Severity {
    let s = this.severityOfSet.get(feeds);
    if (s === undefined) {
      s = 'info';
      for (const f of feeds) {
        const fs = this.index!.feeds[f].severity;
        if (severityRank(fs) > severityRank(s)) s = fs;
      }
      this.severityOfSet.set(feeds, s);
    }
    return s;
  }

  private build(
    key: string,
    h: IndicatorHit,
    field: IntelField,
    observed: string,
    other: string,
    src: HostRef,
    dst: HostRef,
  ): FindingReport {
    const feeds = h.feeds.map((f) => this.index!.feeds[f].name);
    const what = h.kind === 'ip' ? 'address' : h.kind;
    const ind = shown(h.indicator, 300);
    const r: FindingReport = {
      key,
      type: TYPE[h.kind],
      severity: this.severity(h.feeds),
      mitre: MITRE[h.kind],
      title: `Blocklisted ${what} ${ind} (${field}, feed ${feeds.join(', ')}) with ${other}`,
      description:
        `The ${what} ${ind}, listed by threat-intelligence feed ${feeds.join(', ')}, ${FIELD_TEXT[field]} ` +
        `in traffic of ${other}. A listed indicator marks known-malicious infrastructure (malware, C2, ` +
        'botnets, abuse): check what the host exchanged with it.',
      time: 0,
      frame: 0,
      src: { ...src },
      dst: { ...dst },
      details: { indicator: ind, kind: h.kind, field, feeds, observed: shown(observed, 300) },
    };
    return r;
  }
}
