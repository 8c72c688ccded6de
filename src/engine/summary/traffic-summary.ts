import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6 } from '../decode/address';
import { isInternalIPv4, isInternalIPv6 } from '../decode/address-class';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import type { Detector } from '../detectors/detector';
import type {
  AppProtocolEvent,
  ConnectionInfo,
  DnsMessageEvent,
  Endpoint,
  TlsCertificateEvent,
  TlsClientHelloEvent,
  TlsServerHelloEvent,
} from '../events';
import { shown } from '../finding-text';
import { FlowKeyBuilder } from '../reassembly/flow-key';
import type { BucketRow, FlowRow, HostRow, PacketsBytes, SummaryDelta, TlsRow } from './summary-rows';

export type { BucketRow, FlowRow, HostRow, SummaryDelta, TlsRow } from './summary-rows';

/**
 * What a capture contained besides findings — flows, hosts, TLS servers/certificates, traffic per
 * minute — collected as a pipeline observer in packet time, handed to the database after each
 * chunk as the rows that changed (absolute values: a retried chunk rewrites, never adds).
 *
 * Memory is bounded whatever the capture: flows expire when idle and the oldest live flow is
 * evicted at `maxFlows` (both emitted as final rows); hosts and TLS rows have caps (the oldest is
 * evicted, a later sighting starts a new row, which is why their keys include the first frame);
 * minute buckets expire when no packet touched them for `bucketIdle` seconds. Expiry runs on the
 * newest packet time in fixed steps, and the whole state is plain JSON (snapshot/restore), so a
 * capture cut into chunks gives the rows of a single pass.
 */
export interface TrafficSummaryOptions {
  maxFlows: number;
  maxHosts: number;
  maxTls: number;
  maxBuckets: number;
  /** Idle seconds before a flow is final: TCP open, TCP closed (FIN both ways or RST), other. */
  tcpIdle: number;
  closedIdle: number;
  otherIdle: number;
  bucketIdle: number;
}

/** Defaults: 5 min TCP idle like Zeek's tcp_inactivity_timeout; UDP 1 min like its udp_inactivity_timeout. */
export const DEFAULT_SUMMARY_OPTIONS: TrafficSummaryOptions = {
  maxFlows: 100_000,
  maxHosts: 100_000,
  maxTls: 10_000,
  maxBuckets: 10_000,
  tcpIdle: 300,
  closedIdle: 30,
  otherIdle: 60,
  bucketIdle: 300,
};

const SWEEP_EVERY = 10; // s of packet time between expiry sweeps
const MAX_MACS = 8;
const MAX_PENDING_SNI = 10_000;
const MAX_TEXT = 256;

interface Flow {
  /** Map key: IP protocol + FlowKeyBuilder's 4-tuple (char codes, not text: never in a snapshot). */
  k: string;
  proto: number;
  /** The client is the FlowKeyBuilder's low endpoint. */
  cLow: boolean;
  row: FlowRow;
}

interface Host {
  /** MACs as 48-bit numbers (formatted only for rows). */
  macs: number[];
  row: Omit<HostRow, 'macs'>;
}

interface TlsPending {
  id: string;
  sni: string | null;
}

export interface TrafficSummaryState {
  version: 1;
  now: number;
  nextSweep: number;
  finished: boolean;
  flows: Array<{ proto: number; cLow: boolean; row: FlowRow }>;
  hosts: Array<{ macs: number[]; row: Omit<HostRow, 'macs'> }>;
  tls: TlsRow[];
  buckets: Array<{ last: number; row: BucketRow }>;
  sni: TlsPending[];
  /** Changed since the last takeChanged(): flows by first frame, hosts by ip, TLS rows by key, buckets by minute. */
  changed: { flows: number[]; hosts: string[]; tls: string[]; buckets: number[] };
  retired: SummaryDelta;
}

const TRANSPORTS: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6' };

function transportName(proto: number): string {
  return TRANSPORTS[proto] ?? `ip-${proto}`;
}

function mixName(p: DecodedPacket): string {
  if (p.isArp || p.etherType === 0x0806) return 'arp';
  if (p.ipVersion === 0) return 'other';
  const proto = p.ipProto;
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'icmp' : 'other';
}

function tcpState(row: FlowRow): string {
  const c = row.flagsToServer;
  const s = row.flagsToClient;
  if ((c | s) & TCP.RST) return 'reset';
  if (c & TCP.FIN && s & TCP.FIN) return 'closed';
  if ((c | s) & TCP.FIN) return 'fin';
  const syn = (c & TCP.SYN) !== 0;
  const synAck = (s & TCP.SYN) !== 0 && (s & TCP.ACK) !== 0;
  if (syn && synAck) return 'established';
  if (syn) return 'syn';
  return 'midstream';
}

/** FIN both ways or a RST: nothing more is expected on this connection. */
function isClosed(row: FlowRow): boolean {
  const all = row.flagsToServer | row.flagsToClient;
  return (all & TCP.RST) !== 0 || ((row.flagsToServer & TCP.FIN) !== 0 && (row.flagsToClient & TCP.FIN) !== 0);
}

function hostKeyText(ip: string): number | string {
  const n = parseIPv4(ip);
  return Number.isNaN(n) ? ip : n >>> 0;
}

function addTo(m: Record<string, PacketsBytes>, name: string, bytes: number): void {
  const e = m[name];
  if (e === undefined) m[name] = { packets: 1, bytes };
  else {
    e.packets++;
    e.bytes += bytes;
  }
}

export class TrafficSummary {
  private readonly opts: TrafficSummaryOptions;
  private readonly keys = new FlowKeyBuilder();
  /** A reused packet view for keying connections named by events (text endpoints). */
  private readonly scratch = new DecodedPacket();
  private now = 0;
  private nextSweep = 0;
  private finished = false;
  private flows = new Map<string, Flow>();
  private hosts = new Map<number | string, Host>();
  private tls = new Map<string, TlsRow>();
  private buckets = new Map<number, { last: number; row: BucketRow }>();
  /** SNI of ClientHellos waiting for their certificate / ServerHello, by connection id (FIFO cap). */
  private sni = new Map<string, string | null>();
  private changedFlows = new Set<string>();
  private changedHosts = new Set<number | string>();
  private changedTls = new Set<string>();
  private changedBuckets = new Set<number>();
  private retired: SummaryDelta = { flows: [], hosts: [], tls: [], buckets: [] };
  /** Lookup caches (never in a snapshot): the last packet's flow (IPv4) and its two hosts. */
  private lastFlow: {
    proto: number;
    lowIp: number;
    lowPort: number;
    highIp: number;
    highPort: number;
    flow: Flow;
  } | null = null;
  private hostKey0: number | string | null = null;
  private host0: Host | undefined = undefined;
  private hostKey1: number | string | null = null;
  private host1: Host | undefined = undefined;

  constructor(opts: Partial<TrafficSummaryOptions> = {}) {
    this.opts = { ...DEFAULT_SUMMARY_OPTIONS, ...opts };
  }

  /** Pass to `new Pipeline({ observers: [summary.observer()] })`. */
  observer(): Partial<Detector> {
    return {
      onPacket: (p) => this.onPacket(p),
      onAppProtocol: (e) => this.onAppProtocol(e),
      onDns: (e) => this.onDns(e),
      onTlsClientHello: (e) => this.onClientHello(e),
      onTlsServerHello: (e) => this.onServerHello(e),
      onTlsCertificate: (e) => this.onCertificate(e),
    };
  }

  // ---- packets ------------------------------------------------------------------------------

  private onPacket(p: DecodedPacket): void {
    const t = p.time;
    if (t > this.now) this.now = t;
    if (this.now >= this.nextSweep) {
      this.sweep(this.now);
      this.nextSweep = this.now + SWEEP_EVERY;
    }
    const bytes = p.origLen;
    // Addresses are only trusted when the IP header itself decoded.
    const ip = p.ipVersion !== 0 && (p.malformed === null || !p.malformed.startsWith('ipv'));
    const flow = ip ? this.countFlow(p, t, bytes) : null;
    if (ip) {
      this.countHost(p, true, t, bytes);
      this.countHost(p, false, t, bytes);
    }
    this.countBucket(p, t, bytes, flow?.row.app ?? null);
  }

  private countFlow(p: DecodedPacket, t: number, bytes: number): Flow {
    const proto = p.ipProto;
    const kb = this.keys;
    const flags = proto === 6 ? p.tcpFlags & 0xff : 0;
    let f: Flow | undefined;
    let srcLow: boolean;
    // Consecutive packets are mostly of the same connection: IPv4 compares the tuple as numbers first.
    const c = this.lastFlow;
    if (p.ipVersion === 4) kb.key4(p);
    if (
      c !== null &&
      p.ipVersion === 4 &&
      c.proto === proto &&
      c.lowIp === kb.lowIp &&
      c.lowPort === kb.lowPort &&
      c.highIp === kb.highIp &&
      c.highPort === kb.highPort
    ) {
      f = c.flow;
      srcLow = kb.srcIsLow;
    } else {
      f = this.flows.get(String.fromCharCode(proto) + kb.build(p));
      srcLow = kb.srcIsLow;
    }
    // A new SYN on a finished connection's 4-tuple is a new connection.
    if (
      f !== undefined &&
      proto === 6 &&
      (flags & (TCP.SYN | TCP.ACK)) === TCP.SYN &&
      ((f.row.flagsToServer | f.row.flagsToClient) & (TCP.FIN | TCP.RST)) !== 0
    ) {
      this.retireFlow(f);
      f = undefined;
    }
    if (f === undefined) f = this.newFlow(p, String.fromCharCode(proto) + kb.build(p), srcLow, flags, t);
    if (p.ipVersion === 4) {
      this.lastFlow = {
        proto,
        lowIp: kb.lowIp,
        lowPort: kb.lowPort,
        highIp: kb.highIp,
        highPort: kb.highPort,
        flow: f,
      };
    } else this.lastFlow = null;
    const row = f.row;
    if (srcLow === f.cLow) {
      row.packetsToServer++;
      row.bytesToServer += bytes;
      row.flagsToServer |= flags;
    } else {
      row.packetsToClient++;
      row.bytesToClient += bytes;
      row.flagsToClient |= flags;
    }
    if (t < row.firstSeen) row.firstSeen = t;
    if (t > row.lastSeen) row.lastSeen = t;
    row.lastFrame = p.frame;
    this.changedFlows.add(f.k);
    return f;
  }

  private newFlow(p: DecodedPacket, k: string, srcLow: boolean, flags: number, t: number): Flow {
    if (this.flows.size >= this.opts.maxFlows) this.retireFlow(this.flows.values().next().value!);
    // The SYN's sender is the client; a SYN-ACK seen first means its receiver is.
    const fromServer = (flags & (TCP.SYN | TCP.ACK)) === (TCP.SYN | TCP.ACK);
    const src = p.ipVersion === 4 ? formatIPv4(p.src4) : formatIPv6(p.buf, p.src6Off);
    const dst = p.ipVersion === 4 ? formatIPv4(p.dst4) : formatIPv6(p.buf, p.dst6Off);
    const [client, cport, server, sport] = fromServer
      ? [dst, p.dstPort, src, p.srcPort]
      : [src, p.srcPort, dst, p.dstPort];
    const f: Flow = {
      k,
      proto: p.ipProto,
      cLow: fromServer ? !srcLow : srcLow,
      row: {
        firstFrame: p.frame,
        lastFrame: p.frame,
        transport: transportName(p.ipProto),
        clientIp: client,
        clientPort: cport,
        serverIp: server,
        serverPort: sport,
        app: null,
        packetsToServer: 0,
        bytesToServer: 0,
        packetsToClient: 0,
        bytesToClient: 0,
        firstSeen: t,
        lastSeen: t,
        flagsToServer: 0,
        flagsToClient: 0,
        state: null,
        final: false,
      },
    };
    this.flows.set(k, f);
    return f;
  }

  private retireFlow(f: Flow): void {
    if (this.lastFlow !== null && this.lastFlow.flow === f) this.lastFlow = null;
    this.flows.delete(f.k);
    this.changedFlows.delete(f.k);
    this.retired.flows.push({ ...this.flowRow(f), final: true });
  }

  private flowRow(f: Flow): FlowRow {
    return { ...f.row, state: f.row.transport === 'tcp' ? tcpState(f.row) : null };
  }

  private countHost(p: DecodedPacket, source: boolean, t: number, bytes: number): void {
    const v4 = p.ipVersion === 4;
    const off = source ? p.src6Off : p.dst6Off;
    const key: number | string = v4 ? (source ? p.src4 : p.dst4) >>> 0 : formatIPv6(p.buf, off);
    // A packet's two hosts are mostly the previous packet's two: a two-slot cache before the Map.
    let h = key === this.hostKey0 ? this.host0 : key === this.hostKey1 ? this.host1 : this.hosts.get(key);
    if (h === undefined) {
      if (this.hosts.size >= this.opts.maxHosts) this.retireHost(this.hosts.keys().next().value!);
      h = {
        macs: [],
        row: {
          ip: typeof key === 'number' ? formatIPv4(key) : key,
          firstFrame: p.frame,
          internal: typeof key === 'number' ? isInternalIPv4(key) : isInternalIPv6(p.buf, off),
          packetsSent: 0,
          bytesSent: 0,
          packetsReceived: 0,
          bytesReceived: 0,
          firstSeen: t,
          lastSeen: t,
        },
      };
      this.hosts.set(key, h);
    }
    if (source) {
      this.hostKey0 = key;
      this.host0 = h;
    } else {
      this.hostKey1 = key;
      this.host1 = h;
    }
    const row = h.row;
    if (source) {
      row.packetsSent++;
      row.bytesSent += bytes;
      if (p.srcMacOff >= 0 && h.macs.length < MAX_MACS) {
        const mac = p.buf.readUIntBE(p.srcMacOff, 6);
        if (!h.macs.includes(mac)) h.macs.push(mac);
      }
    } else {
      row.packetsReceived++;
      row.bytesReceived += bytes;
    }
    if (t < row.firstSeen) row.firstSeen = t;
    if (t > row.lastSeen) row.lastSeen = t;
    this.changedHosts.add(key);
  }

  private retireHost(key: number | string): void {
    this.forgetCaches();
    const h = this.hosts.get(key)!;
    this.hosts.delete(key);
    this.changedHosts.delete(key);
    this.retired.hosts.push(hostRow(h));
  }

  private countBucket(p: DecodedPacket, t: number, bytes: number, app: string | null): void {
    const minute = Math.floor(t / 60) * 60;
    let b = this.buckets.get(minute);
    if (b === undefined) {
      if (this.buckets.size >= this.opts.maxBuckets) this.retireBucket(this.buckets.keys().next().value!);
      b = { last: t, row: { minute, firstFrame: p.frame, packets: 0, bytes: 0, protocols: {}, apps: {} } };
      this.buckets.set(minute, b);
    }
    // Idle is judged on the newest packet time, so out-of-order stamps do not keep a bucket alive.
    b.last = this.now;
    b.row.packets++;
    b.row.bytes += bytes;
    addTo(b.row.protocols, mixName(p), bytes);
    if (app !== null) addTo(b.row.apps, app, bytes);
    this.changedBuckets.add(minute);
  }

  private retireBucket(minute: number): void {
    const b = this.buckets.get(minute)!;
    this.buckets.delete(minute);
    this.changedBuckets.delete(minute);
    this.retired.buckets.push(bucketRow(b.row));
  }

  private sweep(now: number): void {
    const o = this.opts;
    for (const f of [...this.flows.values()]) {
      const r = f.row;
      const closed = r.transport === 'tcp' && isClosed(r);
      const idle = r.transport === 'tcp' ? (closed ? o.closedIdle : o.tcpIdle) : o.otherIdle;
      if (now - r.lastSeen > idle) this.retireFlow(f);
    }
    for (const [minute, b] of [...this.buckets]) if (now - b.last > o.bucketIdle) this.retireBucket(minute);
  }

  // ---- application protocols ----------------------------------------------------------------

  /** The live flow of a connection named by an event (text endpoints), if any. */
  private flowOf(proto: number, a: Endpoint, b: Endpoint): Flow | undefined {
    const k = this.keyOf(proto, a, b);
    return k === undefined ? undefined : this.flows.get(k);
  }

  /** The flow key countFlow() builds for these endpoints. */
  private keyOf(proto: number, a: Endpoint, b: Endpoint): string | undefined {
    const s = this.scratch;
    const a4 = parseIPv4(a.ip);
    const b4 = parseIPv4(b.ip);
    if (!Number.isNaN(a4) && !Number.isNaN(b4)) {
      s.ipVersion = 4;
      s.src4 = a4 | 0;
      s.dst4 = b4 | 0;
    } else {
      const a6 = parseIPv6(a.ip);
      const b6 = parseIPv6(b.ip);
      if (a6 === null || b6 === null) return undefined;
      s.ipVersion = 6;
      s.buf = Buffer.concat([a6, b6]);
      s.src6Off = 0;
      s.dst6Off = 16;
    }
    s.srcPort = a.port;
    s.dstPort = b.port;
    return String.fromCharCode(proto) + this.keys.build(s);
  }

  private setApp(f: Flow | undefined, app: string): void {
    if (f === undefined || f.row.app !== null) return;
    f.row.app = shown(app, 32);
    this.changedFlows.add(f.k);
  }

  private onAppProtocol(e: AppProtocolEvent): void {
    this.setApp(this.flowOf(6, e.conn.client, e.conn.server), e.protocol);
  }

  private onDns(e: DnsMessageEvent): void {
    this.setApp(this.flowOf(e.transport === 'tcp' ? 6 : 17, e.src, e.dst), 'dns');
  }

  // ---- TLS servers and certificates ---------------------------------------------------------

  private onClientHello(e: TlsClientHelloEvent): void {
    if (this.sni.size >= MAX_PENDING_SNI && !this.sni.has(e.conn.id)) this.sni.delete(this.sni.keys().next().value!);
    this.sni.set(e.conn.id, e.sni !== undefined && e.sni.length > 0 ? shown(e.sni.toLowerCase(), 253) : null);
  }

  private onServerHello(e: TlsServerHelloEvent): void {
    // TLS 1.3 encrypts the certificate: the handshake is counted here, without one.
    if (e.selectedVersion !== 0x0304) return;
    const sni = this.sni.get(e.conn.id) ?? null;
    this.sni.delete(e.conn.id);
    this.countTls(e.conn, sni, null, e.selectedVersion, e.frame, e.time);
  }

  private onCertificate(e: TlsCertificateEvent): void {
    const sni = this.sni.get(e.conn.id) ?? null;
    this.sni.delete(e.conn.id);
    const leaf = e.chain[0];
    const row = this.countTls(e.conn, sni, leaf?.sha256 ?? null, null, e.frame, e.time);
    if (leaf !== undefined) {
      row.subject = shown(leaf.subject, MAX_TEXT);
      row.issuer = shown(leaf.issuer, MAX_TEXT);
      row.validFrom = shown(leaf.validFrom, 40);
      row.validTo = shown(leaf.validTo, 40);
      row.selfSigned = leaf.selfSigned;
    }
  }

  private countTls(
    conn: ConnectionInfo,
    sni: string | null,
    sha256: string | null,
    version: number | null,
    frame: number,
    time: number,
  ): TlsRow {
    const key = `${conn.server.ip}|${conn.server.port}|${sni ?? ''}|${sha256 ?? ''}`;
    let r = this.tls.get(key);
    if (r === undefined) {
      if (this.tls.size >= this.opts.maxTls) this.retireTls(this.tls.keys().next().value!);
      r = {
        serverIp: conn.server.ip,
        serverPort: conn.server.port,
        sni,
        sha256,
        subject: null,
        issuer: null,
        validFrom: null,
        validTo: null,
        selfSigned: null,
        version,
        firstFrame: frame,
        lastFrame: frame,
        firstSeen: time,
        lastSeen: time,
        count: 0,
      };
      this.tls.set(key, r);
    }
    r.count++;
    if (version !== null) r.version = version;
    if (time < r.firstSeen) r.firstSeen = time;
    if (time > r.lastSeen) r.lastSeen = time;
    r.lastFrame = frame;
    this.changedTls.add(key);
    return r;
  }

  private retireTls(key: string): void {
    const r = this.tls.get(key)!;
    this.tls.delete(key);
    this.changedTls.delete(key);
    this.retired.tls.push({ ...r });
  }

  private forgetCaches(): void {
    this.lastFlow = null;
    this.hostKey0 = this.hostKey1 = null;
    this.host0 = this.host1 = undefined;
  }

  // ---- chunk boundary -----------------------------------------------------------------------

  /** What changed since the previous call (after each chunk): rows with absolute values. */
  takeChanged(): SummaryDelta {
    const out: SummaryDelta = {
      flows: [...this.retired.flows, ...[...this.changedFlows].map((k) => this.flowRow(this.flows.get(k)!))],
      hosts: [...this.retired.hosts, ...[...this.changedHosts].map((k) => hostRow(this.hosts.get(k)!))],
      tls: [...this.retired.tls, ...[...this.changedTls].map((k) => ({ ...this.tls.get(k)! }))],
      buckets: [...this.retired.buckets, ...[...this.changedBuckets].map((m) => bucketRow(this.buckets.get(m)!.row))],
    };
    this.retired = { flows: [], hosts: [], tls: [], buckets: [] };
    this.changedFlows.clear();
    this.changedHosts.clear();
    this.changedTls.clear();
    this.changedBuckets.clear();
    return out;
  }

  /** End of capture: every live flow becomes final (hosts, TLS rows and buckets are already exact). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const f of [...this.flows.values()]) this.retireFlow(f);
  }

  /** Totals of what is held now, for tests and statistics. */
  sizes(): { flows: number; hosts: number; tls: number; buckets: number; pendingSni: number } {
    return {
      flows: this.flows.size,
      hosts: this.hosts.size,
      tls: this.tls.size,
      buckets: this.buckets.size,
      pendingSni: this.sni.size,
    };
  }

  snapshot(): TrafficSummaryState {
    return {
      version: 1,
      now: this.now,
      nextSweep: this.nextSweep,
      finished: this.finished,
      flows: [...this.flows.values()].map((f) => ({ proto: f.proto, cLow: f.cLow, row: { ...f.row } })),
      hosts: [...this.hosts.values()].map((h) => ({ macs: [...h.macs], row: { ...h.row } })),
      tls: [...this.tls.values()].map((r) => ({ ...r })),
      buckets: [...this.buckets.values()].map((b) => ({ last: b.last, row: bucketRow(b.row) })),
      sni: [...this.sni].map(([id, sni]) => ({ id, sni })),
      changed: {
        flows: [...this.changedFlows].map((k) => this.flows.get(k)!.row.firstFrame),
        hosts: [...this.changedHosts].map((k) => (typeof k === 'number' ? formatIPv4(k) : k)),
        tls: [...this.changedTls],
        buckets: [...this.changedBuckets],
      },
      retired: structuredClone(this.retired),
    };
  }

  restore(s: TrafficSummaryState): void {
    if (s.version !== 1) throw new Error(`unsupported traffic summary state version ${String(s.version)}`);
    this.forgetCaches();
    this.now = s.now;
    this.nextSweep = s.nextSweep;
    this.finished = s.finished;
    this.flows = new Map();
    const byFrame = new Map<number, string>();
    for (const f of s.flows) {
      const r = f.row;
      const k = this.keyOf(f.proto, { ip: r.clientIp, port: r.clientPort }, { ip: r.serverIp, port: r.serverPort });
      if (k === undefined) throw new Error(`traffic summary state: bad flow endpoints at frame ${r.firstFrame}`);
      this.flows.set(k, { k, proto: f.proto, cLow: f.cLow, row: { ...r } });
      byFrame.set(r.firstFrame, k);
    }
    this.hosts = new Map(s.hosts.map((h) => [hostKeyText(h.row.ip), { macs: [...h.macs], row: { ...h.row } }]));
    this.tls = new Map(s.tls.map((r) => [`${r.serverIp}|${r.serverPort}|${r.sni ?? ''}|${r.sha256 ?? ''}`, { ...r }]));
    this.buckets = new Map(s.buckets.map((b) => [b.row.minute, { last: b.last, row: bucketRow(b.row) }]));
    this.sni = new Map(s.sni.map((p) => [p.id, p.sni]));
    this.changedFlows = new Set(s.changed.flows.map((frame) => byFrame.get(frame)!));
    this.changedHosts = new Set(s.changed.hosts.map(hostKeyText));
    this.changedTls = new Set(s.changed.tls);
    this.changedBuckets = new Set(s.changed.buckets);
    this.retired = structuredClone(s.retired);
  }
}

function hostRow(h: Host): HostRow {
  return { ...h.row, macs: h.macs.map(macText) };
}

function macText(n: number): string {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return formatMac(b, 0);
}

function bucketRow(r: BucketRow): BucketRow {
  const copy = (m: Record<string, PacketsBytes>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v }])) as Record<string, PacketsBytes>;
  return { ...r, protocols: copy(r.protocols), apps: copy(r.apps) };
}
