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
import { formatMac } from '../decode/address';
import {
  dstHost,
  endpointKey,
  hostFromText,
  hostText,
  isGroupHost,
  pairKey,
  srcHost,
  type HostKey,
} from '../decode/host-key';
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
  /** Endpoints as text (for snapshots; the Map key is a compact pairKey). */
  low: string;
  lowPort: number;
  high: string;
  highPort: number;
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
  /** UDP flows in Map order. */
  flows: Flow[];
  live: Array<[string, LiveHost]>;
  tracked: Array<[string, Tracked]>;
  explainedMacs: string[];
}

/** Working form of a learned host: peers as a Set of host keys. */
interface HostRec extends Omit<BaselineHost, 'peers'> {
  key: HostKey;
  /** `macs` as 48-bit numbers (what packets are compared with). */
  macNums: number[];
  peers: Set<HostKey>;
}

/** A learned host compiled for detection: thresholds precomputed. */
interface Known {
  rec: HostRec;
  macs: Set<number>;
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

/** A MAC as a 48-bit number: no string per packet. */
function macNum(buf: Buffer, off: number): number {
  return (
    ((buf[off] << 8) | buf[off + 1]) * 4294967296 +
    (((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0)
  );
}

const macBuf = Buffer.alloc(6);
function macText(n: number): string {
  macBuf.writeUIntBE(n, 0, 6);
  return formatMac(macBuf, 0);
}

/** MAC text to number; NaN for anything that is not six hex octets. */
function parseMac(s: string): number {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s) ? parseInt(s.replace(/:/g, ''), 16) : NaN;
}

interface ServiceRec {
  ip: string;
  port: number;
  firstSeen: number;
  lastSeen: number;
  answers: number;
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
  private macs = new Map<number, { firstSeen: number; lastSeen: number }>();
  /** Services by endpointKey(ip, port), one table per transport. */
  private tcpServices = new Map<number | string, ServiceRec>();
  private udpServices = new Map<number | string, ServiceRec>();
  private protocols = new Map<string, BaselineProtocol>();
  private peersTotal = 0;
  // detection
  private known = new Map<HostKey, Known>();
  private knownMacs = new Set<number>();
  private knownProtocols = new Set<string>();
  private live = new Map<HostKey, LiveHost>();
  private tracked = new Map<string, Tracked>();
  /** The `host|ip` entries of `tracked` by host key. */
  private newHosts = new Map<HostKey, Tracked>();
  private explainedMacs = new Set<number>();
  private flows = new Map<string, Flow>();
  private readonly protoNames: string[] = [];
  /** Learning: protocol records by IP protocol number (256 = ipv4, 257 = ipv6, 258 = arp); detect: known flags. */
  private protoRecs: Array<BaselineProtocol | undefined> = [];
  private protoKnown = new Uint8Array(259);

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
      const macs = [...h.macs].sort();
      this.hosts.set(key, {
        ...h,
        key,
        macs,
        macNums: macs.map(parseMac),
        bytes: { ...h.bytes },
        packets: { ...h.packets },
        conns: { ...h.conns },
        open: h.open && { ...h.open },
        peers,
      });
    }
    this.macs = new Map();
    for (const x of m.macs) {
      const n = parseMac(x.mac);
      if (!Number.isNaN(n)) this.macs.set(n, { firstSeen: x.firstSeen, lastSeen: x.lastSeen });
    }
    this.tcpServices = new Map();
    this.udpServices = new Map();
    for (const x of m.services) {
      const rec: ServiceRec = {
        ip: x.ip,
        port: x.port,
        firstSeen: x.firstSeen,
        lastSeen: x.lastSeen,
        answers: x.answers,
      };
      (x.proto === 'tcp' ? this.tcpServices : this.udpServices).set(endpointKey(hostFromText(x.ip), x.port), rec);
    }
    this.protocols = new Map(m.protocols.map((p) => [p.name, { ...p }]));
    this.protoRecs = [];
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
      macs: [...this.macs].map(([mac, v]) => ({ mac: macText(mac), ...v })),
      services: [
        ...[...this.tcpServices.values()].map((v) => ({ ...v, proto: 'tcp' as const })),
        ...[...this.udpServices.values()].map((v) => ({ ...v, proto: 'udp' as const })),
      ],
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
        macs: new Set(rec.macNums),
        bytes,
        packets,
        conns,
        thrBytes: thr(bytes, c.volumeZScore, c.volumeMinRatio, c.volumeMinBytes),
        thrPackets: thr(packets, c.volumeZScore, c.volumeMinRatio, c.volumeMinPackets),
        thrConns: thr(conns, c.connZScore, c.connMinRatio, c.connMinPerHour),
      });
    }
    this.knownMacs = new Set(this.macs.keys());
    this.knownProtocols = new Set(this.protocols.keys());
    this.protoKnown = new Uint8Array(259);
    for (let i = 0; i < 259; i++) if (this.knownProtocols.has(this.protoName(i))) this.protoKnown[i] = 1;
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
      this.protocol(p.ipVersion === 4 ? 256 : 257, p, ctx);
      this.protocol(p.ipProto, p, ctx);
    } else if (p.isArp) {
      this.protocol(258, p, ctx);
    } else if (et !== 0) {
      this.otherProtocol(`ethertype-0x${et.toString(16).padStart(4, '0')}`, p, ctx);
    }

    const mac = p.srcMacOff >= 0 && (p.buf[p.srcMacOff] & 1) === 0 ? macNum(p.buf, p.srcMacOff) : -1;
    let explained = false;
    if (p.ipVersion !== 0) {
      let srcIn: boolean;
      let dstIn: boolean;
      if (p.ipVersion === 4) {
        srcIn = this.isHost4(p.src4 >>> 0);
        dstIn = this.isHost4(p.dst4 >>> 0);
      } else {
        srcIn = this.isHost6(p.buf, p.src6Off);
        dstIn = this.isHost6(p.buf, p.dst6Off);
      }
      // Between two external addresses there is nothing to learn but the protocol and the MAC.
      if (srcIn || dstIn) {
        const src = srcHost(p);
        const dst = dstHost(p);
        if (srcIn) {
          explained = this.hostSeen(src, mac, p, ctx);
          this.volume(src, len, p, ctx);
        }
        if (dstIn) this.volume(dst, len, p, ctx);
        if (p.l4Off >= 0 && !p.isFragment) this.transport(src, dst, srcIn, p, ctx);
      }
    } else if (p.isArp && p.arpSenderIp !== 0) {
      const sender = p.arpSenderIp >>> 0;
      if (this.isHost4(sender)) {
        const arpMac = p.arpSenderMacOff >= 0 ? macNum(p.buf, p.arpSenderMacOff) : mac;
        explained = this.hostSeen(sender, arpMac, p, ctx);
      }
    }
    if (mac >= 0) this.macSeen(mac, explained, p, ctx);
  }

  /** An internal, unicast, specified IPv4 address. */
  private isHost4(a: number): boolean {
    return a !== 0 && a !== 0xffffffff && a >>> 28 !== 0xe && this.internal.has(a);
  }

  private isHost6(buf: Buffer, off: number): boolean {
    if (buf[off] === 0xff) return false; // multicast
    let zero = true;
    for (let i = 0; i < 16 && zero; i++) zero = buf[off + i] === 0;
    return !zero && this.internal.hasV6At(buf, off);
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

  private protoName(i: number): string {
    let n = this.protoNames[i];
    if (n === undefined)
      n = this.protoNames[i] = i === 256 ? 'ipv4' : i === 257 ? 'ipv6' : i === 258 ? 'arp' : ipProtoName(i);
    return n;
  }

  /** IP protocol number i (256 ipv4, 257 ipv6, 258 arp): array lookups, no string per packet. */
  private protocol(i: number, p: DecodedPacket, ctx: DetectorContext): void {
    if (this.learning) {
      const r = this.protoRecs[i];
      if (r !== undefined) {
        r.packets++;
        r.bytes += p.origLen;
        if (p.time > r.lastSeen) r.lastSeen = p.time;
        return;
      }
      this.otherProtocol(this.protoName(i), p, ctx);
      this.protoRecs[i] = this.protocols.get(this.protoName(i));
      return;
    }
    if (this.protoKnown[i] === 0) this.otherProtocol(this.protoName(i), p, ctx);
  }

  private otherProtocol(name: string, p: DecodedPacket, ctx: DetectorContext): void {
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
    if (p.srcMacOff >= 0) out.mac = formatMac(p.buf, p.srcMacOff);
    return out;
  }

  /** An internal address sent a frame from `mac` (-1: none). Returns true when a finding names the MAC. */
  private hostSeen(h: HostKey, mac: number, p: DecodedPacket, ctx: DetectorContext): boolean {
    const t = p.time;
    if (this.learning) {
      let rec = this.hosts.get(h);
      if (rec === undefined) {
        if (this.hosts.size >= this.config.maxHosts) this.evictHosts();
        rec = {
          ip: hostText(h),
          key: h,
          macs: [],
          macNums: [],
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
      if (mac >= 0 && rec.macNums.length < this.config.maxMacsPerHost && !rec.macNums.includes(mac)) {
        // In sorted place, as the saved model has them (normalizeBaselineModel): a finding that
        // lists them must read the same whether the model came through a snapshot or not.
        const text = macText(mac);
        let at = 0;
        while (at < rec.macs.length && rec.macs[at] < text) at++;
        rec.macs.splice(at, 0, text);
        rec.macNums.splice(at, 0, mac);
      }
      return false;
    }
    const k = this.known.get(h);
    if (k !== undefined && (mac < 0 || k.macs.has(mac))) return false;
    if (k === undefined) {
      // Every packet of a new host counts: keep its finding at hand instead of a key string per packet.
      const hit = this.newHosts.get(h);
      if (hit !== undefined) {
        this.bump(hit, p, ctx);
        return true;
      }
    }
    if (
      k === undefined &&
      typeof h === 'string' &&
      mac >= 0 &&
      !this.config.reportNewIpv6OfKnownMac &&
      (this.knownMacs.has(mac) || this.explainedMacs.has(mac))
    )
      return true; // a known device's new IPv6 address
    const ip = hostText(h);
    const m = mac >= 0 ? macText(mac) : undefined;
    const macKnown = this.knownMacs.has(mac);
    if (k === undefined) {
      const t = this.finding(`host|${ip}`, p, ctx, () => ({
        type: 'baseline-new-host',
        severity: 'low',
        mitre: 'T1200',
        title: `New host on the network: ${ip}${m !== undefined ? ` (${m})` : ''}`,
        description:
          `${ip} was not seen while the baseline of this network was learned` +
          (m !== undefined
            ? `; its MAC ${m} was ${macKnown ? 'known (another address of a known device)' : 'never seen either'}`
            : '') +
          '. New devices join networks every day; this matters with other signals from the same address ' +
          '(scans, ARP or DNS spoofing, new services, credentials) or on a segment where nothing should change.',
        src: { ip, ...(m !== undefined ? { mac: m } : {}) },
        details: { ip, ...(m !== undefined ? { mac: m, macKnown } : {}) },
      }));
      if (t !== undefined) this.newHosts.set(h, t);
      if (mac >= 0) this.explain(mac);
      return true;
    }
    const learnedMacs = k.rec.macs;
    this.finding(`host-mac|${ip}|${m}`, p, ctx, () => ({
      type: 'baseline-new-mac-for-host',
      severity: 'medium',
      mitre: 'T1557.002',
      title: `Known host ${ip} seen with a new MAC ${m}`,
      description:
        `${ip} was learned with MAC ${learnedMacs.join(', ') || '(none)'} and now sends from ${m}` +
        ` (${macKnown ? 'a MAC known on the network — another device using this address' : 'a MAC never seen on the network'}). ` +
        'A replaced NIC or a new DHCP lease does this; so does an impersonation. Look for ARP-spoofing or gateway-MAC ' +
        'findings and for both MACs being active at once.',
      src: { ip, mac: m },
      details: { ip, mac: m, learnedMacs: [...learnedMacs], macKnown },
    }));
    this.explain(mac);
    return true;
  }

  private explain(mac: number): void {
    if (this.explainedMacs.size < this.config.maxTracked) this.explainedMacs.add(mac);
  }

  private macSeen(mac: number, explained: boolean, p: DecodedPacket, ctx: DetectorContext): void {
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
    const m = macText(mac);
    this.finding(`mac|${m}`, p, ctx, () => ({
      type: 'baseline-new-mac',
      severity: 'low',
      mitre: 'T1200',
      title: `New MAC on the network: ${m}`,
      description:
        `${m} was not seen while the baseline was learned and sends no traffic from an internal address ` +
        'that explains it (a new router, bridge, access point or a device speaking only non-IP protocols). ' +
        'Worth a look with ARP or gateway-MAC findings.',
      src: this.hostRef(p),
      details: { mac: m },
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
    let l = this.live.get(h);
    if (l === undefined) {
      if (this.live.size >= this.config.maxTracked) this.live.delete(this.live.keys().next().value!);
      l = { hour, bytes: 0, packets: 0, conns: 0, flagged: [], peersStart: p.time, newPeers: [], newPeersTotal: 0 };
      this.live.set(h, l);
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
    let srcLow: boolean;
    if (typeof src === 'number' && typeof dst === 'number') srcLow = src < dst || (src === dst && sp <= dp);
    else {
      const a = hostText(src);
      const b = hostText(dst);
      srcLow = a < b || (a === b && sp <= dp);
    }
    const key = srcLow ? pairKey(17, src, sp, dst, dp) : pairKey(17, dst, dp, src, sp);
    const t = p.time;
    let f = this.flows.get(key);
    if (f !== undefined && t - f.last > this.config.udpFlowTimeout) {
      this.flows.delete(key);
      f = undefined;
    }
    if (f === undefined) {
      this.expireFlows(t);
      if (this.flows.size >= this.config.maxFlows) this.flows.delete(this.flows.keys().next().value!);
      this.flows.set(key, {
        low: hostText(srcLow ? src : dst),
        lowPort: srcLow ? sp : dp,
        high: hostText(srcLow ? dst : src),
        highPort: srcLow ? dp : sp,
        lowFirst: srcLow ? 1 : 0,
        answered: 0,
        last: t,
        stamp: t,
      });
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
    const table = proto === 'tcp' ? this.tcpServices : this.udpServices;
    const key = endpointKey(h, port);
    const t = p.time;
    const s = table.get(key);
    if (this.learning) {
      if (s !== undefined) {
        s.answers++;
        if (t > s.lastSeen) s.lastSeen = t;
      } else {
        if (this.tcpServices.size + this.udpServices.size >= this.config.maxServices)
          evictOldest(table, (v) => v.lastSeen);
        table.set(key, { ip: hostText(h), port, firstSeen: t, lastSeen: t, answers: 1 });
      }
      return;
    }
    if (s !== undefined) return;
    const ip = hostText(h);
    const hostKnown = this.known.has(h);
    this.finding(`service|${ip}|${port}|${proto}`, p, ctx, () => ({
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
  ): Tracked | undefined {
    let t = this.tracked.get(key);
    if (t === undefined) {
      if (this.tracked.size >= this.config.maxTracked) return undefined;
      const report: FindingReport = { ...build(), key, time: p.time, frame: p.frame };
      t = { count: count ?? 1, reported: count ?? 1, lastTime: p.time, lastFrame: p.frame, report };
      this.tracked.set(key, t);
      ctx.report({ ...report, count: t.count });
      return t;
    }
    if (count === undefined) {
      this.bump(t, p, ctx);
      return t;
    }
    t.count = count;
    t.lastTime = p.time;
    t.lastFrame = p.frame;
    // A caller-given count (new peers) comes with details that change: keep them current.
    t.report = { ...t.report, ...build(), key };
    if (t.count >= 2 * t.reported) {
      t.reported = t.count;
      ctx.report({ ...t.report, time: p.time, frame: p.frame, count: t.count });
    }
    return t;
  }

  /** One more packet for an existing finding (no key string, no lookup when the caller holds it). */
  private bump(t: Tracked, p: DecodedPacket, ctx: DetectorContext): void {
    t.count++;
    t.lastTime = p.time;
    t.lastFrame = p.frame;
    if (t.count >= 2 * t.reported) {
      t.reported = t.count;
      ctx.report({ ...t.report, time: p.time, frame: p.frame, count: t.count });
    }
  }

  flush(ctx: DetectorContext): void {
    if (!this.learning) {
      for (const [k, l] of this.live) if (l.flagged.length) this.closeHour(k, l, ctx);
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
    for (const [k, s] of this.tcpServices) if (s.lastSeen < limit) this.tcpServices.delete(k);
    for (const [k, s] of this.udpServices) if (s.lastSeen < limit) this.udpServices.delete(k);
    for (const [k, s] of this.protocols) if (s.lastSeen < limit) this.protocols.delete(k);
    this.protoRecs = [];
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
      flows: [...this.flows.values()].map((f) => ({ ...f })),
      live: [...this.live].map(([k, l]) => [hostText(k), structuredClone(l)]),
      tracked: [...this.tracked].map(([k, t]) => [k, structuredClone(t)]),
      explainedMacs: [...this.explainedMacs].map(macText),
    };
  }

  restore(s: NetworkBaselineState): void {
    if (s.mode !== this.session.mode)
      throw new Error(`network-baseline state was made in ${s.mode} mode, not ${this.session.mode}`);
    if (s.model !== null) this.load(s.model);
    this.learning = s.learning;
    if (!this.learning) this.compile();
    this.flows = new Map(
      s.flows.map((f) => [pairKey(17, hostFromText(f.low), f.lowPort, hostFromText(f.high), f.highPort), { ...f }]),
    );
    this.live = new Map(s.live.map(([k, l]) => [hostFromText(k), structuredClone(l)]));
    this.tracked = new Map(s.tracked.map(([k, t]) => [k, structuredClone(t)]));
    this.newHosts = new Map();
    for (const [k, t] of this.tracked) if (k.startsWith('host|')) this.newHosts.set(hostFromText(k.slice(5)), t);
    this.explainedMacs = new Set(s.explainedMacs.map(parseMac));
  }
}

/** Table full: the least recently seen eighth goes (ties by key, so chunking cannot change the choice). */
function evictOldest<K extends number | string, V>(m: Map<K, V>, last: (v: V) => number): void {
  const cmp = (a: K, b: K) => (typeof a !== typeof b ? (typeof a === 'number' ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0);
  const all = [...m].sort((x, y) => last(x[1]) - last(y[1]) || cmp(x[0], y[0]));
  for (const [k] of all.slice(0, Math.max(1, all.length >> 3))) m.delete(k);
}
