import { AddressRanges } from '../baseline/address-ranges';
import {
  addSample,
  emptyStat,
  normalizeBaselineModel,
  stddev,
  type BaselineHost,
  type BaselineModel,
  type BaselineProtocol,
  type HourBucket,
  type RunningStat,
} from '../baseline/baseline-model';
import type { BaselineMode, BaselineSession } from '../baseline/baseline-session';
import type { NetworkBaselineConfig } from '../config';
import { TCP, type DecodedPacket } from '../decode/decoded-packet';
import { dstHost, hostFromText, hostText, isGroupHost, srcHost, type HostKey } from '../decode/host-key';
import type { FindingReport } from '../finding';
import type { Detector, DetectorContext } from './detector';
import type { DetectorResources } from './detector-resources';

/**
 * Network baseline (learn what is normal on one network, then report what is new or far above
 * normal). Driven by a BaselineSession (DetectorResources.baseline); without one the registry
 * builds an inert detector with no hooks, so the pipeline pays nothing.
 *
 * What is learned, per packet (packet time only):
 * - hosts: internal source IPs (config internalNetworks; ARP senders too) with their source MACs
 *   (a set, capped), and every source MAC of the network;
 * - services: internal ip:port/proto that ANSWER — a SYN-ACK for TCP, a reply to a datagram for
 *   UDP — below ephemeralPortMin;
 * - protocol mix: ipv4/ipv6/arp, the IP protocol (tcp, udp, icmp, …) and other EtherTypes;
 * - per host and hour bucket (floor(time / 3600)): bytes and packets sent + received and contacts
 *   initiated (TCP SYN, UDP flow started, ICMP echo request), folded into running mean/variance
 *   (Welford) over the hours the host was active;
 * - peers: per host, the addresses it initiated contact with (capped).
 *
 * Findings in detect mode (low/medium: each is a change, not an attack, until something else
 * points the same way), one per key with counts: baseline-new-host (ip), baseline-new-mac-for-host
 * (ip, mac), baseline-new-mac (mac not explained by the two before), baseline-new-service
 * (ip:port/proto), baseline-new-protocol (name), baseline-volume-spike and
 * baseline-connection-spike (host; the statistic in details), baseline-new-external-peers (host).
 */

type Mode = BaselineMode;

interface Tracked {
  count: number;
  reported: number;
  lastTime: number;
  lastFrame: number;
  report: FindingReport;
}

/** A host's current hour while detecting. */
interface LiveHost {
  hour: number;
  bytes: number;
  packets: number;
  conns: number;
  /** Metrics already reported as anomalous this hour. */
  flagged: string[];
  /** Window of new external peers. */
  peersStart: number;
  newPeers: string[];
  newPeersTotal: number;
}

interface Flow {
  /** 1 when the low endpoint (see flowKey) sent first. */
  lowFirst: number;
  answered: number;
  last: number;
  stamp: number;
}

export interface NetworkBaselineState {
  mode: Mode;
  learning: boolean;
  /** The working model while learning (auto: also after the switch, frozen); null in detect mode. */
  model: BaselineModel | null;
  flows: Array<[string, Flow]>;
  live: Array<[string, LiveHost]>;
  tracked: Array<[string, Tracked]>;
  explainedMacs: string[];
}

/** Working form of a learned host: peers as a Set of host keys. */
interface HostRec extends Omit<BaselineHost, 'peers'> {
  key: HostKey;
  peers: Set<HostKey>;
}

/** A learned host compiled for detection: thresholds precomputed. */
interface Known {
  rec: HostRec;
  macs: Set<string>;
  thrBytes: number;
  thrPackets: number;
  thrConns: number;
  bytes: RunningStat;
  packets: RunningStat;
  conns: RunningStat;
}

const IP_PROTO_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6-in-ip',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

function ipProtoName(n: number): string {
  return IP_PROTO_NAMES[n] ?? `ip-proto-${n}`;
}

function macAt(buf: Buffer, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i];
    s += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

const HOUR = 3600;

export function createNetworkBaselineDetector(config: NetworkBaselineConfig, resources: DetectorResources): Detector {
  const session = resources.baseline;
  if (session === undefined) return new InertBaselineDetector();
  return new NetworkBaselineDetector(config, session);
}

/** No baseline given: no hooks (the pipeline does not call it), no state, no findings. */
export class InertBaselineDetector implements Detector<null> {
  readonly id = 'network-baseline';
  snapshot(): null {
    return null;
  }
  restore(): void {}
}

export class NetworkBaselineDetector implements Detector<NetworkBaselineState> {
  readonly id = 'network-baseline';
  private readonly internal: AddressRanges;
  private learning: boolean;
  private model!: BaselineModel;
  private hosts = new Map<HostKey, HostRec>();
  private macs = new Map<string, { firstSeen: number; lastSeen: number }>();
  private services = new Map<string, { firstSeen: number; lastSeen: number; answers: number }>();
  private protocols = new Map<string, BaselineProtocol>();
  private peersTotal = 0;
  // detection
  private known = new Map<HostKey, Known>();
  private knownMacs = new Set<string>();
  private knownServices = new Set<string>();
  private knownProtocols = new Set<string>();
  private live = new Map<string, LiveHost>();
  private tracked = new Map<string, Tracked>();
  private explainedMacs = new Set<string>();
  private flows = new Map<string, Flow>();
  private readonly protoCache: string[] = [];

  constructor(
    private readonly config: NetworkBaselineConfig,
    private readonly session: BaselineSession,
  ) {
    this.internal = new AddressRanges(config.internalNetworks);
    this.learning = session.mode !== 'detect';
    this.load(session.model);
    if (!this.learning) this.compile();
  }

  // ---- model in / out ------------------------------------------------------------------------

  private load(m: BaselineModel): void {
    this.model = { ...m, hosts: [], macs: [], services: [], protocols: [] };
    this.hosts = new Map();
    this.peersTotal = 0;
    for (const h of m.hosts) {
      const key = hostFromText(h.ip);
      const peers = new Set<HostKey>(h.peers.map(hostFromText));
      this.peersTotal += peers.size;
      this.hosts.set(key, {
        ...h,
        key,
        macs: [...h.macs],
        bytes: { ...h.bytes },
        packets: { ...h.packets },
        conns: { ...h.conns },
        open: h.open && { ...h.open },
        peers,
      });
    }
    this.macs = new Map(m.macs.map((x) => [x.mac, { firstSeen: x.firstSeen, lastSeen: x.lastSeen }]));
    this.services = new Map(
      m.services.map((s) => [
        `${s.ip}|${s.port}|${s.proto}`,
        { firstSeen: s.firstSeen, lastSeen: s.lastSeen, answers: s.answers },
      ]),
    );
    this.protocols = new Map(m.protocols.map((p) => [p.name, { ...p }]));
  }

  /** The model as plain, sorted JSON. */
  exportModel(): BaselineModel {
    const hosts: BaselineHost[] = [...this.hosts.values()].map((h) => ({
      ip: h.ip,
      macs: [...h.macs],
      firstSeen: h.firstSeen,
      lastSeen: h.lastSeen,
      bytes: { ...h.bytes },
      packets: { ...h.packets },
      conns: { ...h.conns },
      open: h.open && { ...h.open },
      peers: [...h.peers].map(hostText),
      peersTruncated: h.peersTruncated,
    }));
    return normalizeBaselineModel({
      ...this.model,
      hosts,
      macs: [...this.macs].map(([mac, v]) => ({ mac, ...v })),
      services: [...this.services].map(([k, v]) => {
        const [ip, port, proto] = k.split('|');
        return { ip, port: Number(port), proto: proto as 'tcp' | 'udp', ...v };
      }),
      protocols: [...this.protocols.values()].map((p) => ({ ...p })),
    });
  }

  /** Detect-mode lookups from the (frozen) model, the open hour folded in as one more sample. */
  private compile(): void {
    const c = this.config;
    const thr = (s: RunningStat, z: number, ratio: number, min: number) =>
      s.n === 0 ? Infinity : Math.max(s.mean + z * stddev(s), ratio * s.mean, min);
    this.known = new Map();
    for (const [key, rec] of this.hosts) {
      const folded = (s: RunningStat, v: number | undefined) => {
        const out = { ...s };
        if (v !== undefined) addSample(out, v);
        return out;
      };
      const bytes = folded(rec.bytes, rec.open?.bytes);
      const packets = folded(rec.packets, rec.open?.packets);
      const conns = folded(rec.conns, rec.open?.conns);
      this.known.set(key, {
        rec,
        macs: new Set(rec.macs),
        bytes,
        packets,
        conns,
        thrBytes: thr(bytes, c.volumeZScore, c.volumeMinRatio, c.volumeMinBytes),
        thrPackets: thr(packets, c.volumeZScore, c.volumeMinRatio, c.volumeMinPackets),
        thrConns: thr(conns, c.connZScore, c.connMinRatio, c.connMinPerHour),
      });
    }
    this.knownMacs = new Set(this.macs.keys());
    this.knownServices = new Set(this.services.keys());
    this.knownProtocols = new Set(this.protocols.keys());
  }

  // ---- packets ---------------------------------------------------------------------------------

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.malformed !== null || !p.linkKnown) return;
    const t = p.time;
    if (
      this.learning &&
      this.session.mode === 'auto' &&
      this.model.from !== null &&
      t >= this.model.from + this.config.learnPeriod
    ) {
      this.learning = false;
      this.compile();
    }
    const learning = this.learning;
    const len = p.origLen;
    if (learning) this.learnTime(t, len);

    // Protocol mix.
    const et = p.etherType;
    if (p.ipVersion !== 0) {
      this.protocol(p.ipVersion === 4 ? 'ipv4' : 'ipv6', p, ctx);
      let name = this.protoCache[p.ipProto];
      if (name === undefined) name = this.protoCache[p.ipProto] = ipProtoName(p.ipProto);
      this.protocol(name, p, ctx);
    } else if (p.isArp) {
      this.protocol('arp', p, ctx);
    } else if (et !== 0) {
      this.protocol(`ethertype-0x${et.toString(16).padStart(4, '0')}`, p, ctx);
    }

    const mac = p.srcMacOff >= 0 && (p.buf[p.srcMacOff] & 1) === 0 ? macAt(p.buf, p.srcMacOff) : undefined;
    let explained = false;
    if (p.ipVersion !== 0) {
      const src = srcHost(p);
      const dst = dstHost(p);
      const srcIn = this.isHost(src);
      if (srcIn) explained = this.hostSeen(src, mac, p, ctx);
      if (srcIn) this.volume(src, len, p, ctx);
      if (this.isHost(dst)) this.volume(dst, len, p, ctx);
      if (p.l4Off >= 0 && !p.isFragment) this.transport(src, dst, srcIn, p, ctx);
    } else if (p.isArp && p.arpSenderIp !== 0) {
      const sender = p.arpSenderIp >>> 0;
      if (this.isHost(sender)) {
        const arpMac = p.arpSenderMacOff >= 0 ? macAt(p.buf, p.arpSenderMacOff) : mac;
        explained = this.hostSeen(sender, arpMac, p, ctx);
      }
    }
    if (mac !== undefined) this.macSeen(mac, explained, p, ctx);
  }

  private isHost(h: HostKey): boolean {
    if (typeof h === 'number' ? h === 0 : h === '::') return false;
    return !isGroupHost(h) && this.internal.has(h);
  }

  private learnTime(t: number, len: number): void {
    const m = this.model;
    if (m.from === null || t < m.from) m.from = t;
    if (m.to === null || t > m.to) m.to = t;
    m.packets++;
    m.bytes += len;
    const hour = Math.floor(t / HOUR);
    if (m.lastHour === null || hour > m.lastHour) {
      m.hours++;
      m.lastHour = hour;
      this.forget(t);
    }
  }

  private protocol(name: string, p: DecodedPacket, ctx: DetectorContext): void {
    if (this.learning) {
      const r = this.protocols.get(name);
      if (r !== undefined) {
        r.packets++;
        r.bytes += p.origLen;
        if (p.time > r.lastSeen) r.lastSeen = p.time;
      } else if (this.protocols.size < this.config.maxProtocols) {
        this.protocols.set(name, { name, packets: 1, bytes: p.origLen, firstSeen: p.time, lastSeen: p.time });
      }
      return;
    }
    if (this.knownProtocols.has(name)) return;
    this.finding(`protocol|${name}`, p, ctx, () => ({
      type: 'baseline-new-protocol',
      severity: 'low',
      title: `New protocol on the network: ${name}`,
      description:
        `${name} was never seen while the baseline of this network was learned. New protocols come with new ` +
        'software, devices or tunnels (GRE, IP-in-IP, ESP) and are worth a look together with new-host or new-service ' +
        'findings and with any alert about the hosts that speak it.',
      src: this.hostRef(p),
      details: { protocol: name },
    }));
  }

  private hostRef(p: DecodedPacket): { ip?: string; mac?: string } {
    const out: { ip?: string; mac?: string } = {};
    if (p.ipVersion !== 0) out.ip = hostText(srcHost(p));
    else if (p.isArp) out.ip = hostText(p.arpSenderIp >>> 0);
    if (p.srcMacOff >= 0) out.mac = macAt(p.buf, p.srcMacOff);
    return out;
  }

  /** An internal address sent a frame from `mac`. Returns true when a finding names the MAC. */
  private hostSeen(h: HostKey, mac: string | undefined, p: DecodedPacket, ctx: DetectorContext): boolean {
    const t = p.time;
    if (this.learning) {
      let rec = this.hosts.get(h);
      if (rec === undefined) {
        if (this.hosts.size >= this.config.maxHosts) this.evictHosts();
        rec = {
          ip: hostText(h),
          key: h,
          macs: [],
          firstSeen: t,
          lastSeen: t,
          bytes: emptyStat(),
          packets: emptyStat(),
          conns: emptyStat(),
          open: null,
          peers: new Set(),
          peersTruncated: false,
        };
        this.hosts.set(h, rec);
      }
      if (t > rec.lastSeen) rec.lastSeen = t;
      if (mac !== undefined && rec.macs.length < this.config.maxMacsPerHost && !rec.macs.includes(mac))
        rec.macs.push(mac);
      return false;
    }
    const k = this.known.get(h);
    const ip = hostText(h);
    if (k === undefined) {
      this.finding(`host|${ip}`, p, ctx, () => ({
        type: 'baseline-new-host',
        severity: 'low',
        mitre: 'T1200',
        title: `New host on the network: ${ip}${mac !== undefined ? ` (${mac})` : ''}`,
        description:
          `${ip} was not seen while the baseline of this network was learned` +
          (mac !== undefined
            ? `; its MAC ${mac} was ${this.knownMacs.has(mac) ? 'known (another address of a known device)' : 'never seen either'}`
            : '') +
          '. New devices join networks every day; this matters with other signals from the same address ' +
          '(scans, ARP or DNS spoofing, new services, credentials) or on a segment where nothing should change.',
        src: { ip, ...(mac !== undefined ? { mac } : {}) },
        details: { ip, ...(mac !== undefined ? { mac, macKnown: this.knownMacs.has(mac) } : {}) },
      }));
      if (mac !== undefined) this.explain(mac);
      return true;
    }
    if (mac === undefined || k.macs.has(mac)) return false;
    this.finding(`host-mac|${ip}|${mac}`, p, ctx, () => ({
      type: 'baseline-new-mac-for-host',
      severity: 'medium',
      mitre: 'T1557.002',
      title: `Known host ${ip} seen with a new MAC ${mac}`,
      description:
        `${ip} was learned with MAC ${[...k.macs].join(', ') || '(none)'} and now sends from ${mac}` +
        ` (${this.knownMacs.has(mac) ? 'a MAC known on the network — another device using this address' : 'a MAC never seen on the network'}). ` +
        'A replaced NIC or a new DHCP lease does this; so does an impersonation. Look for ARP-spoofing or gateway-MAC ' +
        'findings and for both MACs being active at once.',
      src: { ip, mac },
      details: { ip, mac, learnedMacs: [...k.macs], macKnown: this.knownMacs.has(mac) },
    }));
    this.explain(mac);
    return true;
  }

  private explain(mac: string): void {
    if (this.explainedMacs.size < this.config.maxTracked) this.explainedMacs.add(mac);
  }

  private macSeen(mac: string, explained: boolean, p: DecodedPacket, ctx: DetectorContext): void {
    const t = p.time;
    if (this.learning) {
      const r = this.macs.get(mac);
      if (r !== undefined) {
        if (t > r.lastSeen) r.lastSeen = t;
      } else {
        if (this.macs.size >= this.config.maxMacs) evictOldest(this.macs, (v) => v.lastSeen);
        this.macs.set(mac, { firstSeen: t, lastSeen: t });
      }
      return;
    }
    if (explained || this.knownMacs.has(mac) || this.explainedMacs.has(mac)) return;
    this.finding(`mac|${mac}`, p, ctx, () => ({
      type: 'baseline-new-mac',
      severity: 'low',
      mitre: 'T1200',
      title: `New MAC on the network: ${mac}`,
      description:
        `${mac} was not seen while the baseline was learned and sends no traffic from an internal address ` +
        'that explains it (a new router, bridge, access point or a device speaking only non-IP protocols). ' +
        'Worth a look with ARP or gateway-MAC findings.',
      src: this.hostRef(p),
      details: { mac },
    }));
  }

  // ---- volume and contacts -------------------------------------------------------------------

  private volume(h: HostKey, bytes: number, p: DecodedPacket, ctx: DetectorContext): void {
    const hour = Math.floor(p.time / HOUR);
    if (this.learning) {
      const rec = this.hosts.get(h);
      if (rec === undefined) return;
      const b = this.bucket(rec, hour);
      b.bytes += bytes;
      b.packets++;
      return;
    }
    const k = this.known.get(h);
    if (k === undefined) return;
    const l = this.liveHost(h, hour, ctx, p);
    l.bytes += bytes;
    l.packets++;
    if (l.bytes >= k.thrBytes || l.packets >= k.thrPackets) this.spike(h, k, l, 'volume', p, ctx);
  }

  private bucket(rec: HostRec, hour: number): HourBucket {
    const o = rec.open;
    if (o !== null && hour <= o.hour) return o;
    if (o !== null) {
      addSample(rec.bytes, o.bytes);
      addSample(rec.packets, o.packets);
      addSample(rec.conns, o.conns);
    }
    rec.open = { hour, bytes: 0, packets: 0, conns: 0 };
    return rec.open;
  }

  private liveHost(h: HostKey, hour: number, ctx: DetectorContext, p: DecodedPacket): LiveHost {
    const key = hostText(h);
    let l = this.live.get(key);
    if (l === undefined) {
      if (this.live.size >= this.config.maxTracked) this.live.delete(this.live.keys().next().value!);
      l = { hour, bytes: 0, packets: 0, conns: 0, flagged: [], peersStart: p.time, newPeers: [], newPeersTotal: 0 };
      this.live.set(key, l);
    } else if (hour > l.hour) {
      if (l.flagged.length) this.closeHour(h, l, ctx);
      l.hour = hour;
      l.bytes = l.packets = l.conns = 0;
      l.flagged = [];
    }
    return l;
  }

  /** The hour of a flagged host ended: the finding gets the hour's final totals. */
  private closeHour(h: HostKey, l: LiveHost, ctx: DetectorContext): void {
    const k = this.known.get(h);
    if (k === undefined) return;
    for (const kind of l.flagged) {
      const t = this.tracked.get(`${kind}|${hostText(h)}`);
      if (t === undefined) continue;
      const r = this.spikeReport(h, k, l, kind as 'volume' | 'conns');
      t.report = { ...t.report, ...r, details: { ...t.report.details, ...r.details, hourComplete: true } };
      ctx.report({ ...t.report, time: t.lastTime, frame: t.lastFrame, count: t.count });
      t.reported = t.count;
    }
  }

  private spikeReport(
    h: HostKey,
    k: Known,
    l: LiveHost,
    kind: 'volume' | 'conns',
  ): Omit<FindingReport, 'key' | 'time' | 'frame'> {
    const c = this.config;
    const ip = hostText(h);
    const stat = (s: RunningStat, observed: number) => {
      const sd = stddev(s);
      const r2 = (x: number) => Math.round(x * 100) / 100;
      return {
        learnedHours: s.n,
        learnedMean: r2(s.mean),
        learnedStddev: r2(sd),
        observed,
        zScore: sd > 0 ? r2((observed - s.mean) / sd) : null,
        ratio: s.mean > 0 ? r2(observed / s.mean) : null,
      };
    };
    const hourStart = l.hour * HOUR;
    if (kind === 'volume') {
      const b = stat(k.bytes, l.bytes);
      return {
        type: 'baseline-volume-spike',
        severity: 'medium',
        mitre: 'T1030',
        title: `Hourly volume of ${ip} far above its baseline: ${l.bytes} bytes / ${l.packets} packets (learned mean ${Math.round(k.bytes.mean)} bytes)`,
        description:
          `${ip} moved ${l.bytes} bytes in ${l.packets} packets in the hour starting at packet time ${hourStart}, against a learned ` +
          `mean of ${Math.round(k.bytes.mean)} bytes (stddev ${Math.round(stddev(k.bytes))}) over ${k.bytes.n} active hours. Thresholds: ` +
          `z-score ≥ ${c.volumeZScore}, ≥ ${c.volumeMinRatio}× the mean and ≥ ${c.volumeMinBytes} bytes (or the same rules on packets, ` +
          `≥ ${c.volumeMinPackets}). Backups and updates do this; exfiltration and floods too — look at the peers of that hour ` +
          'and at new-external-peer, scan or flood findings for the host.',
        src: { ip },
        details: {
          hourStart,
          bytes: b,
          packets: stat(k.packets, l.packets),
          thresholds: {
            zScore: c.volumeZScore,
            minRatio: c.volumeMinRatio,
            minBytes: c.volumeMinBytes,
            minPackets: c.volumeMinPackets,
          },
        },
      };
    }
    return {
      type: 'baseline-connection-spike',
      severity: 'medium',
      mitre: 'T1046',
      title: `Connection rate of ${ip} far above its baseline: ${l.conns} contacts this hour (learned mean ${Math.round(k.conns.mean)})`,
      description:
        `${ip} initiated ${l.conns} contacts (TCP SYNs, UDP flows, ICMP echo requests) in the hour starting at packet time ${hourStart}, ` +
        `against a learned mean of ${Math.round(k.conns.mean)} per hour (stddev ${Math.round(stddev(k.conns))}) over ${k.conns.n} active hours. ` +
        `Thresholds: z-score ≥ ${c.connZScore}, ≥ ${c.connMinRatio}× the mean and ≥ ${c.connMinPerHour} per hour. Scans, worms and ` +
        'brute force do this; check port-scan, connection-rate and new-external-peer findings for the host.',
      src: { ip },
      details: {
        hourStart,
        conns: stat(k.conns, l.conns),
        thresholds: { zScore: c.connZScore, minRatio: c.connMinRatio, minPerHour: c.connMinPerHour },
      },
    };
  }

  private spike(
    h: HostKey,
    k: Known,
    l: LiveHost,
    kind: 'volume' | 'conns',
    p: DecodedPacket,
    ctx: DetectorContext,
  ): void {
    if (l.flagged.includes(kind)) return;
    l.flagged.push(kind);
    this.finding(`${kind}|${hostText(h)}`, p, ctx, () => this.spikeReport(h, k, l, kind));
  }

  /** `h` (internal) initiated contact with `peer`. */
  private contact(h: HostKey, peer: HostKey, p: DecodedPacket, ctx: DetectorContext): void {
    const hour = Math.floor(p.time / HOUR);
    if (this.learning) {
      const rec = this.hosts.get(h);
      if (rec === undefined) return;
      this.bucket(rec, hour).conns++;
      if (!rec.peers.has(peer)) {
        if (rec.peers.size >= this.config.maxPeersPerHost || this.peersTotal >= this.config.maxPeersTotal)
          rec.peersTruncated = true;
        else {
          rec.peers.add(peer);
          this.peersTotal++;
        }
      }
      return;
    }
    const k = this.known.get(h);
    const l = this.liveHost(h, hour, ctx, p);
    if (k !== undefined) {
      l.conns++;
      if (l.conns >= k.thrConns) this.spike(h, k, l, 'conns', p, ctx);
    }
    if (this.internal.has(peer) || (k !== undefined && k.rec.peers.has(peer))) return;
    const c = this.config;
    if (p.time - l.peersStart > c.newPeersWindow) {
      l.peersStart = p.time;
      l.newPeers = [];
    }
    const text = hostText(peer);
    if (l.newPeers.includes(text)) return;
    if (l.newPeers.length < c.newPeersThreshold) l.newPeers.push(text);
    l.newPeersTotal++;
    if (l.newPeers.length < c.newPeersThreshold) return;
    const ip = hostText(h);
    const fk = `peers|${ip}`;
    const sample = l.newPeers.slice(0, 20);
    const total = l.newPeersTotal;
    this.finding(
      fk,
      p,
      ctx,
      () => ({
        type: 'baseline-new-external-peers',
        severity: 'medium',
        mitre: 'T1041',
        title: `${ip} contacted ${c.newPeersThreshold}+ external addresses it never talked to while learning`,
        description:
          `${ip} initiated contact with at least ${c.newPeersThreshold} external addresses outside its learned peers within ` +
          `${c.newPeersWindow} s${k === undefined ? ' (the host itself is new)' : ''}. New software, a new site or a CDN change can do this; ` +
          'so do worm spreading, scanning, botnet check-ins and exfiltration to many hosts. Look at the destinations and at ' +
          'volume, scan and threat-intelligence findings for the host.',
        src: { ip },
        details: { threshold: c.newPeersThreshold, window: c.newPeersWindow, newPeers: total, sample },
      }),
      total,
    );
  }

  private transport(src: HostKey, dst: HostKey, srcIn: boolean, p: DecodedPacket, ctx: DetectorContext): void {
    const proto = p.ipProto;
    if (proto === 6) {
      const f = p.tcpFlags;
      if ((f & (TCP.SYN | TCP.RST | TCP.FIN)) !== TCP.SYN) return;
      if ((f & TCP.ACK) === 0) {
        if (srcIn && !isGroupHost(dst)) this.contact(src, dst, p, ctx);
      } else if (srcIn) {
        this.service(src, p.srcPort, 'tcp', p, ctx);
      }
      return;
    }
    if (proto === 17) {
      if (isGroupHost(dst)) return;
      this.udp(src, dst, srcIn, p, ctx);
      return;
    }
    if ((proto === 1 && p.icmpType === 8) || (proto === 58 && p.icmpType === 128)) {
      if (srcIn && !isGroupHost(dst)) this.contact(src, dst, p, ctx);
    }
  }

  private udp(src: HostKey, dst: HostKey, srcIn: boolean, p: DecodedPacket, ctx: DetectorContext): void {
    const sp = p.srcPort;
    const dp = p.dstPort;
    const a = hostText(src);
    const b = hostText(dst);
    const srcLow =
      typeof src === 'number' && typeof dst === 'number'
        ? src < dst || (src === dst && sp <= dp)
        : a < b || (a === b && sp <= dp);
    const key = srcLow ? `${a}|${sp}|${b}|${dp}` : `${b}|${dp}|${a}|${sp}`;
    const t = p.time;
    let f = this.flows.get(key);
    if (f !== undefined && t - f.last > this.config.udpFlowTimeout) {
      this.flows.delete(key);
      f = undefined;
    }
    if (f === undefined) {
      this.expireFlows(t);
      if (this.flows.size >= this.config.maxFlows) this.flows.delete(this.flows.keys().next().value!);
      this.flows.set(key, { lowFirst: srcLow ? 1 : 0, answered: 0, last: t, stamp: t });
      if (srcIn) this.contact(src, dst, p, ctx);
      return;
    }
    f.last = t;
    if (t - f.stamp >= 1) {
      // Keep the map in order of activity (in steps of a second) so expiry can stop at the first live flow.
      this.flows.delete(key);
      this.flows.set(key, f);
      f.stamp = t;
    }
    if (f.answered === 0 && (f.lowFirst === 1) !== srcLow) {
      f.answered = 1;
      if (srcIn) this.service(src, sp, 'udp', p, ctx);
    }
  }

  private expireFlows(now: number): void {
    const limit = now - this.config.udpFlowTimeout;
    for (const [k, f] of this.flows) {
      if (f.last >= limit) break;
      this.flows.delete(k);
    }
  }

  private service(h: HostKey, port: number, proto: 'tcp' | 'udp', p: DecodedPacket, ctx: DetectorContext): void {
    if (port >= this.config.ephemeralPortMin || port === 0) return;
    const ip = hostText(h);
    const key = `${ip}|${port}|${proto}`;
    const t = p.time;
    if (this.learning) {
      const s = this.services.get(key);
      if (s !== undefined) {
        s.answers++;
        if (t > s.lastSeen) s.lastSeen = t;
      } else {
        if (this.services.size >= this.config.maxServices) evictOldest(this.services, (v) => v.lastSeen);
        this.services.set(key, { firstSeen: t, lastSeen: t, answers: 1 });
      }
      return;
    }
    if (this.knownServices.has(key)) return;
    const hostKnown = this.known.has(h);
    this.finding(`service|${key}`, p, ctx, () => ({
      type: 'baseline-new-service',
      severity: 'medium',
      title: `New listening service: ${ip}:${port}/${proto}`,
      description:
        `${ip} answered on ${proto.toUpperCase()} port ${port} (${proto === 'tcp' ? 'SYN-ACK' : 'a reply to a datagram'}), which it never did ` +
        `while the baseline was learned${hostKnown ? '' : ' (the host itself is new)'}. A newly deployed service, or a backdoor, ` +
        'a rogue server or a tunnel endpoint: check who connects to it and whether other findings name the host.',
      src: { ip, port },
      details: { ip, port, proto, hostKnown },
    }));
  }

  // ---- findings --------------------------------------------------------------------------------

  /** One finding per key: reported when first seen, then again at doubling counts and at the end. */
  private finding(
    key: string,
    p: DecodedPacket,
    ctx: DetectorContext,
    build: () => Omit<FindingReport, 'key' | 'time' | 'frame'>,
    count?: number,
  ): void {
    let t = this.tracked.get(key);
    if (t === undefined) {
      if (this.tracked.size >= this.config.maxTracked) return;
      const report: FindingReport = { ...build(), key, time: p.time, frame: p.frame };
      t = { count: count ?? 1, reported: count ?? 1, lastTime: p.time, lastFrame: p.frame, report };
      this.tracked.set(key, t);
      ctx.report({ ...report, count: t.count });
      return;
    }
    t.count = count ?? t.count + 1;
    t.lastTime = p.time;
    t.lastFrame = p.frame;
    // A caller-given count (new peers) comes with details that change: keep them current.
    if (count !== undefined) t.report = { ...t.report, ...build(), key };
    if (t.count >= 2 * t.reported) {
      t.reported = t.count;
      ctx.report({ ...t.report, time: p.time, frame: p.frame, count: t.count });
    }
  }

  flush(ctx: DetectorContext): void {
    if (!this.learning) {
      for (const [k, l] of this.live) if (l.flagged.length) this.closeHour(hostFromText(k), l, ctx);
      for (const t of this.tracked.values()) {
        if (t.count > t.reported) {
          t.reported = t.count;
          ctx.report({ ...t.report, time: t.lastTime, frame: t.lastFrame, count: t.count });
        }
      }
    }
    this.session.learned = this.session.mode === 'detect' ? null : this.exportModel();
  }

  // ---- bounds ----------------------------------------------------------------------------------

  /** Drops model entries not seen for forgetAfter (runs when a new hour begins, in packet time). */
  private forget(now: number): void {
    const limit = now - this.config.forgetAfter;
    for (const [k, h] of this.hosts) {
      if (h.lastSeen < limit) {
        this.peersTotal -= h.peers.size;
        this.hosts.delete(k);
      }
    }
    for (const [k, m] of this.macs) if (m.lastSeen < limit) this.macs.delete(k);
    for (const [k, s] of this.services) if (s.lastSeen < limit) this.services.delete(k);
    for (const [k, s] of this.protocols) if (s.lastSeen < limit) this.protocols.delete(k);
  }

  /** Host table full: the least recently seen eighth goes (ties by address, so chunking cannot change the choice). */
  private evictHosts(): void {
    const all = [...this.hosts.values()].sort((a, b) => a.lastSeen - b.lastSeen || (a.ip < b.ip ? -1 : 1));
    for (const h of all.slice(0, Math.max(1, all.length >> 3))) {
      this.peersTotal -= h.peers.size;
      this.hosts.delete(h.key);
    }
  }

  // ---- state -------------------------------------------------------------------------------------

  snapshot(): NetworkBaselineState {
    return {
      mode: this.session.mode,
      learning: this.learning,
      model: this.session.mode === 'detect' ? null : this.exportModel(),
      flows: [...this.flows].map(([k, f]) => [k, { ...f }]),
      live: [...this.live].map(([k, l]) => [k, structuredClone(l)]),
      tracked: [...this.tracked].map(([k, t]) => [k, structuredClone(t)]),
      explainedMacs: [...this.explainedMacs],
    };
  }

  restore(s: NetworkBaselineState): void {
    if (s.mode !== this.session.mode)
      throw new Error(`network-baseline state was made in ${s.mode} mode, not ${this.session.mode}`);
    if (s.model !== null) this.load(s.model);
    this.learning = s.learning;
    if (!this.learning) this.compile();
    this.flows = new Map(s.flows.map(([k, f]) => [k, { ...f }]));
    this.live = new Map(s.live.map(([k, l]) => [k, structuredClone(l)]));
    this.tracked = new Map(s.tracked.map(([k, t]) => [k, structuredClone(t)]));
    this.explainedMacs = new Set(s.explainedMacs);
  }
}

/** Table full: the least recently seen eighth goes (ties by key, so chunking cannot change the choice). */
function evictOldest<V>(m: Map<string, V>, last: (v: V) => number): void {
  const all = [...m].sort((x, y) => last(x[1]) - last(y[1]) || (x[0] < y[0] ? -1 : 1));
  for (const [k] of all.slice(0, Math.max(1, all.length >> 3))) m.delete(k);
}
