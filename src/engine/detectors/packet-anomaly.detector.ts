import type { PacketAnomalyConfig } from '../config';
import { DecodedPacket, IP_OPT, TCP } from '../decode/decoded-packet';
import { srcIp, srcMac } from '../decode/address';
import type { FindingReport, Severity } from '../finding';
import type { Detector, DetectorContext } from './detector';

/**
 * Packets that should not exist on a healthy network: what the decoders marked malformed,
 * impossible TCP flag combinations, land packets, fragment tricks, unusual IP protocols, IP
 * options (source routing above all), TTL 0, and broadcast/multicast source addresses.
 *
 * One finding per (kind, source), updated with counts — never one per packet. Sources are capped
 * per kind: a flood of spoofed sources lands in one "many sources" finding whose evidence says
 * from which frame on it was aggregated, so memory stays bounded.
 */

interface KindInfo {
  type: string;
  severity: Severity;
  mitre?: string;
  title: (detail: string) => string;
  explain: string;
}

const KINDS = {
  malformed: {
    type: 'malformed-packet',
    severity: 'low',
    title: (d) => `Malformed packets (${d})`,
    explain:
      'Headers that do not fit their bytes or contradict their own length fields. Crafted packets of this kind probe or crash parsers; a faulty NIC or a truncated capture can cause them too.',
  },
  'fragment-overlap': {
    type: 'ip-fragment-overlap',
    severity: 'medium',
    mitre: 'T1599',
    title: () => 'Overlapping IP fragments',
    explain:
      'IP fragments that overlap each other (teardrop-style). Used to evade IDS reassembly or crash stacks; legitimate senders never produce them.',
  },
  'tiny-fragment': {
    type: 'ip-tiny-fragment',
    severity: 'medium',
    mitre: 'T1599',
    title: () => 'Tiny first IP fragment',
    explain:
      'A first fragment too small to hold the TCP header (RFC 1858): a classic way to slip TCP flags past packet filters.',
  },
  'bad-tcp-flags': {
    type: 'invalid-tcp-flags',
    severity: 'medium',
    mitre: 'T1046',
    title: (d) => `Invalid TCP flag combination (${d})`,
    explain:
      'TCP flag combinations no real stack sends (SYN+FIN, SYN+RST, or no flags at all). They are used for OS fingerprinting, firewall evasion and stealth scans.',
  },
  land: {
    type: 'land-packet',
    severity: 'high',
    mitre: 'T1499',
    title: () => 'LAND packet (source equals destination)',
    explain:
      'A packet whose source address and port equal its destination: the LAND denial-of-service attack against stacks that answer themselves.',
  },
  'source-route': {
    type: 'ip-source-route',
    severity: 'medium',
    mitre: 'T1599',
    title: (d) => `IP source routing option (${d})`,
    explain:
      'The sender dictates the route (loose/strict source route, or IPv6 routing header type 0): used to bypass filters and spoof trusted paths; deprecated (RFC 5095, RFC 7126).',
  },
  'ip-options': {
    type: 'ip-options',
    severity: 'low',
    title: (d) => `Unusual IP options (${d})`,
    explain:
      'IPv4 options are rare on modern networks and often dropped by routers (RFC 7126); their presence is unusual.',
  },
  'unusual-protocol': {
    type: 'unusual-ip-protocol',
    severity: 'low',
    mitre: 'T1095',
    title: (d) => `Unusual IP protocol ${d}`,
    explain:
      'An IP protocol number outside the configured allowlist: possibly a covert channel or tunnelling (non-application-layer protocol).',
  },
  'ttl-zero': {
    type: 'ttl-zero',
    severity: 'low',
    title: () => 'Packet with TTL / hop limit 0',
    explain: 'A packet forwarded with TTL 0 should have been dropped; it is crafted or comes from a broken stack.',
  },
  'bad-source': {
    type: 'invalid-source-address',
    severity: 'medium',
    mitre: 'T1498',
    title: (d) => `Invalid source address (${d})`,
    explain:
      'A broadcast or multicast address as a source is invalid (RFC 1812 §5.3.7): a sign of spoofing, as in smurf-style reflection attacks.',
  },
} satisfies Record<string, KindInfo>;

type Kind = keyof typeof KINDS;

export interface PacketAnomalyState {
  /** Per kind: sources already tracked (capped), and the frame from which further ones were aggregated. */
  sources: Partial<Record<Kind, { keys: string[]; aggregatedFrom: number | null }>>;
}

export class PacketAnomalyDetector implements Detector<PacketAnomalyState> {
  readonly id = 'packet-anomaly';
  private readonly allowed: Uint8Array = new Uint8Array(256);
  private sources = new Map<Kind, { keys: Set<string>; aggregatedFrom: number | null }>();
  /** Report per finding key, derived from the key and `sources` alone (so not part of the snapshot). */
  private readonly reports = new Map<string, FindingReport>();
  /**
   * Per kind, the last IPv4 hit's identity (detail, source address, source MAC as two 24-bit
   * halves, -1 without one) and its report. A (kind, detail, source) always maps to the same report
   * once seen (tracked keys only grow; the aggregate key stays), so a repeat skips the text work.
   */
  private readonly last = new Map<
    Kind,
    { detail: string; ip: number; macHi: number; macLo: number; r: FindingReport }
  >();

  constructor(private readonly config: PacketAnomalyConfig) {
    for (const n of config.allowedIpProtocols) if (n >= 0 && n < 256) this.allowed[n] = 1;
  }

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (!p.linkKnown) return;
    if (p.malformed !== null) {
      if (p.malformed === 'fragment.overlap') this.hit('fragment-overlap', '', p, ctx);
      else this.hit('malformed', p.malformed, p, ctx);
    }
    if (p.ipVersion === 0) {
      if (p.isArp) this.checkArpSource(p, ctx);
      return;
    }
    if (p.ttl === 0) this.hit('ttl-zero', '', p, ctx);
    if (!this.allowed[p.ipProto]) this.hit('unusual-protocol', String(p.ipProto), p, ctx);
    if (p.ipOptionFlags !== 0) {
      const f = p.ipOptionFlags;
      if (f & (IP_OPT.LSRR | IP_OPT.SSRR)) this.hit('source-route', f & IP_OPT.SSRR ? 'strict' : 'loose', p, ctx);
      const rest = f & ~(IP_OPT.LSRR | IP_OPT.SSRR);
      if (rest) this.hit('ip-options', optionNames(rest), p, ctx);
    }
    if (isBadSource(p)) {
      // The detail depends only on the IPv4 source and MAC: a repeat needs no new one.
      if (p.ipVersion !== 4 || !this.repeat('bad-source', null, p, ctx))
        this.hit('bad-source', this.badSource(p) ?? '', p, ctx);
    }
    if (p.isFragment && p.fragOffset === 0 && p.moreFragments && p.ipProto === 6 && p.ipVersion === 4) {
      const carried = p.ipTotalLen - p.ipHeaderLen;
      if (carried < this.config.tinyFragmentBytes) this.hit('tiny-fragment', '', p, ctx);
    }
    if (p.ipProto === 6 && p.l4Off >= 0 && p.malformed === null) {
      const fl = p.tcpFlags & 0x3f;
      let bad = '';
      if ((fl & (TCP.SYN | TCP.FIN)) === (TCP.SYN | TCP.FIN)) bad = 'SYN+FIN';
      else if ((fl & (TCP.SYN | TCP.RST)) === (TCP.SYN | TCP.RST)) bad = 'SYN+RST';
      else if (p.tcpFlags === 0) bad = 'no flags';
      if (bad) this.hit('bad-tcp-flags', bad, p, ctx);
      if (p.srcPort === p.dstPort && sameAddress(p)) this.hit('land', '', p, ctx);
    }
  }

  private checkArpSource(p: DecodedPacket, ctx: DetectorContext): void {
    // An ARP sender of 255.255.255.255 or a multicast range is as invalid as in IP.
    const s = p.arpSenderIp >>> 0;
    if (s === 0xffffffff || s >>> 28 === 0xe) this.hit('bad-source', 'ARP sender', p, ctx);
  }

  /**
   * Which address is invalid — a label, not the address: the address is the finding's source, and
   * a label keeps the aggregate of a spoofed flood ONE finding (an address here made one per source).
   */
  private badSource(p: DecodedPacket): string | null {
    if (p.ipVersion === 4) {
      const s = p.src4 >>> 0;
      if (s === 0xffffffff || s >>> 28 === 0xe) return 'broadcast/multicast IP';
    } else if (p.ipVersion === 6 && p.src6Off >= 0) {
      if (p.buf[p.src6Off] === 0xff) return 'multicast IP';
    }
    // Group bit of the Ethernet source MAC: no station may send from a multicast MAC.
    if (p.srcMacOff >= 0 && (p.buf[p.srcMacOff] & 1) === 1) return 'multicast MAC';
    return null;
  }

  /** Reports again the last IPv4 hit of `kind` if this packet has its identity (any detail when null). */
  private repeat(kind: Kind, detail: string | null, p: DecodedPacket, ctx: DetectorContext): boolean {
    const c = this.last.get(kind);
    if (c === undefined || c.ip !== p.src4 || (detail !== null && c.detail !== detail)) return false;
    let macHi = -1;
    let macLo = -1;
    const o = p.srcMacOff;
    if (o >= 0) {
      const b = p.buf;
      macHi = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      macLo = (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5];
    }
    if (c.macHi !== macHi || c.macLo !== macLo) return false;
    c.r.time = p.time;
    c.r.frame = p.frame;
    ctx.report(c.r);
    return true;
  }

  private hit(kind: Kind, detail: string, p: DecodedPacket, ctx: DetectorContext): void {
    if (p.ipVersion === 4 && this.repeat(kind, detail, p, ctx)) return;
    const ip = srcIp(p);
    // The MAC is part of the identity: the same address from two stations is two findings, and a
    // finding's content is then a function of its key alone (which lets repeats reuse the report).
    // Except when the MAC itself is the anomaly and an IP names the sender: tools that randomise a
    // multicast source MAC per packet (public/pop3-auth-01) would otherwise make one finding per frame.
    const mac = detail === 'multicast MAC' && ip !== undefined ? undefined : srcMac(p);
    const source = ip !== undefined ? (mac !== undefined ? `${ip} (${mac})` : ip) : (mac ?? 'unknown');
    let tracked = this.sources.get(kind);
    if (!tracked) {
      tracked = { keys: new Set(), aggregatedFrom: null };
      this.sources.set(kind, tracked);
    }
    let key = `${kind}|${detail}|${source}`;
    if (!tracked.keys.has(key)) {
      if (tracked.keys.size < this.config.maxSourcesPerKind) tracked.keys.add(key);
      else {
        if (tracked.aggregatedFrom === null) tracked.aggregatedFrom = p.frame;
        key = `${kind}|${detail}|*`;
      }
    }
    let r = this.reports.get(key);
    if (r === undefined) {
      r = this.newReport(kind, detail, key, tracked.aggregatedFrom, ip, mac, source);
      this.reports.set(key, r);
    }
    r.time = p.time;
    r.frame = p.frame;
    if (p.ipVersion === 4) {
      let macHi = -1;
      let macLo = -1;
      const o = p.srcMacOff;
      if (o >= 0) {
        const b = p.buf;
        macHi = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
        macLo = (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5];
      }
      this.last.set(kind, { detail, ip: p.src4, macHi, macLo, r });
    }
    ctx.report(r);
  }

  /** Built once per finding key (a bounded set); repeats only move time and frame. */
  private newReport(
    kind: Kind,
    detail: string,
    key: string,
    aggregatedFrom: number | null,
    ip: string | undefined,
    mac: string | undefined,
    source: string,
  ): FindingReport {
    const info: KindInfo = KINDS[kind];
    const aggregated = key.endsWith('|*');
    return {
      key,
      type: info.type,
      severity: info.severity,
      mitre: info.mitre,
      title: info.title(detail),
      description: aggregated
        ? `${info.explain} More than ${this.config.maxSourcesPerKind} distinct sources sent these; further sources are aggregated here from frame ${aggregatedFrom}.`
        : `${info.explain} Source ${source}.`,
      time: 0,
      frame: 0,
      src: aggregated ? undefined : { ...(ip ? { ip } : {}), ...(mac ? { mac } : {}) },
      details: {
        kind,
        ...(detail ? { detail } : {}),
        ...(aggregated ? { aggregatedFromFrame: aggregatedFrom } : {}),
      },
    };
  }

  snapshot(): PacketAnomalyState {
    const sources: PacketAnomalyState['sources'] = {};
    for (const [kind, t] of this.sources) sources[kind] = { keys: [...t.keys], aggregatedFrom: t.aggregatedFrom };
    return { sources };
  }

  restore(state: PacketAnomalyState): void {
    this.reports.clear();
    this.last.clear();
    this.sources = new Map();
    for (const [kind, t] of Object.entries(state.sources) as Array<
      [Kind, { keys: string[]; aggregatedFrom: number | null }]
    >) {
      this.sources.set(kind, { keys: new Set(t.keys), aggregatedFrom: t.aggregatedFrom });
    }
  }
}

/** Whether badSource() finds an offending address, without formatting it. */
function isBadSource(p: DecodedPacket): boolean {
  if (p.ipVersion === 4) {
    const s = p.src4 >>> 0;
    if (s === 0xffffffff || s >>> 28 === 0xe) return true;
  } else if (p.ipVersion === 6 && p.src6Off >= 0) {
    if (p.buf[p.src6Off] === 0xff) return true;
  }
  return p.srcMacOff >= 0 && (p.buf[p.srcMacOff] & 1) === 1;
}

function sameAddress(p: DecodedPacket): boolean {
  if (p.ipVersion === 4) return p.src4 === p.dst4;
  if (p.ipVersion === 6 && p.src6Off >= 0 && p.dst6Off >= 0) {
    return p.buf.compare(p.buf, p.dst6Off, p.dst6Off + 16, p.src6Off, p.src6Off + 16) === 0;
  }
  return false;
}

function optionNames(flags: number): string {
  const names: string[] = [];
  if (flags & IP_OPT.RR) names.push('record route');
  if (flags & IP_OPT.TS) names.push('timestamp');
  if (flags & IP_OPT.SECURITY) names.push('security');
  if (flags & IP_OPT.OTHER) names.push('other');
  return names.join(', ');
}
