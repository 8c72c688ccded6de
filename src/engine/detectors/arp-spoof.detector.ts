import type { ArpSpoofConfig } from '../config';
import { formatIPv4 } from '../decode/address';
import type { DecodedPacket } from '../decode/decoded-packet';
import { isStationMac, macAt, macHasPrefix, macText, parseMac } from '../decode/mac';
import type { Detector, DetectorContext } from './detector';

/**
 * ARP cache poisoning (MITRE T1557.002), arpwatch-style: IP→MAC bindings learned from every ARP
 * request, reply and gratuitous announcement (the sender fields, which is what a victim's cache
 * merges, RFC 826), per VLAN. Findings:
 *
 * - `arp-spoofing`: an IP claimed by a second MAC while the first is still alive (sent a frame
 *   within `aliveWindow`) — arpwatch's "flip flop". A MAC change after the old MAC fell silent is
 *   a NIC swap or a new lease: the binding moves quietly. One finding per IP, counting flips; it
 *   names every MAC that held the IP and which of them looks like the poisoner.
 * - `arp-mac-many-ips`: one MAC claiming `manyIpsThreshold` or more IPs (the poisoner pattern).
 * - `arp-unsolicited-replies`: non-gratuitous replies nobody asked for, in bulk, per sender.
 * - `arp-sender-mismatch`: Ethernet source ≠ ARP sender MAC (arpspoof's "re-arp", or any frame
 *   forging another station's address in the ARP payload).
 *
 * Virtual router MACs (VRRP/HSRP/GLBP) may take over an address; proxy-ARP routers may answer
 * for anyone. State: bindings and stations capped (oldest dropped), requests expire.
 */

const MITRE = 'T1557.002';
/** Most MACs / IPs / frames remembered per binding or station for the evidence. */
const MAX_MACS = 8;
const MAX_IPS = 64;
const MAX_FRAMES = 10;
const MAX_REQUESTS = 4096;

interface Binding {
  mac: number;
  first: number;
  last: number;
  flips: number;
  /** Owner before the latest flip (-1 before any). */
  prev: number;
  /** MACs that held the IP, in order of first claim, and their claim counts. */
  macs: number[];
  claims: number[];
  /** [frame, time] of the current owner's claims before a conflict (the episode's start when one comes). */
  frames: Array<[number, number]>;
}

interface Station {
  /** Packet time this MAC last sent a frame as Ethernet source; -1 when never. */
  seen: number;
  /** IPs (VLAN-qualified keys) it claimed. */
  ips: number[];
  /** Times of recent unsolicited replies (within unsolicitedWindow), total, first frames. */
  unsol: number[];
  unsolTotal: number;
  /** [frame, time] of the first unsolicited replies (replayed into the finding when it is made). */
  unsolFrames: Array<[number, number]>;
  unsolReported: boolean;
  /** Frames it sent whose ARP sender MAC was not its own. */
  mismatch: number;
}

export interface ArpSpoofState {
  bindings: Array<[number, Binding]>;
  stations: Array<[number, Station]>;
  requests: Array<[string, number]>;
}

export class ArpSpoofDetector implements Detector<ArpSpoofState> {
  readonly id = 'arp-spoof';
  private bindings = new Map<number, Binding>();
  private stations = new Map<number, Station>();
  /** The last two source MACs looked up (24-bit halves; -1: none) and their stations: a cache, not state. */
  private lastHi = -1;
  private lastLo = -1;
  private lastStation: Station | undefined = undefined;
  private prevHi = -1;
  private prevLo = -1;
  private prevStation: Station | undefined = undefined;
  private requests = new Map<string, number>();
  private readonly proxy: Set<number>;

  constructor(private readonly config: ArpSpoofConfig) {
    this.proxy = new Set(config.proxyArpMacs.map(parseMac).filter((n) => !Number.isNaN(n)));
  }

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.srcMacOff >= 0 && this.stations.size > 0) {
      // Runs of packets come from the same station: compare the MAC as two small integers
      // before paying for a 48-bit (heap number) Map lookup.
      const b = p.buf;
      const o = p.srcMacOff;
      const hi = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      const lo = (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5];
      let st: Station | undefined;
      if (hi === this.lastHi && lo === this.lastLo) st = this.lastStation;
      else if (hi === this.prevHi && lo === this.prevLo) {
        // The other side of a conversation: swap the two cache entries.
        st = this.prevStation;
        this.prevHi = this.lastHi;
        this.prevLo = this.lastLo;
        this.prevStation = this.lastStation;
        this.lastHi = hi;
        this.lastLo = lo;
        this.lastStation = st;
      } else {
        st = this.stations.get(hi * 0x1000000 + lo);
        this.prevHi = this.lastHi;
        this.prevLo = this.lastLo;
        this.prevStation = this.lastStation;
        this.lastHi = hi;
        this.lastLo = lo;
        this.lastStation = st;
      }
      if (st !== undefined && p.time > st.seen) st.seen = p.time;
    }
    if (p.isArp && p.malformed === null) this.arp(p, ctx);
  }

  private virtual(mac: number): boolean {
    return macHasPrefix(mac, this.config.virtualMacPrefixes);
  }

  private station(mac: number, create: boolean): Station | undefined {
    let st = this.stations.get(mac);
    if (st === undefined && create) {
      if (this.stations.size >= this.config.maxStations) this.stations.delete(this.stations.keys().next().value!);
      this.lastHi = this.prevHi = -1; // the station cache may now be stale
      st = { seen: -1, ips: [], unsol: [], unsolTotal: 0, unsolFrames: [], unsolReported: false, mismatch: 0 };
      this.stations.set(mac, st);
    }
    return st;
  }

  private arp(p: DecodedPacket, ctx: DetectorContext): void {
    const t = p.time;
    const sMac = macAt(p.buf, p.arpSenderMacOff);
    const hasEth = p.srcMacOff >= 0;
    const eMac = hasEth ? macAt(p.buf, p.srcMacOff) : sMac;
    const sIp = p.arpSenderIp >>> 0;
    const tIp = p.arpTargetIp >>> 0;
    const tx = isStationMac(eMac) ? this.station(eMac, true)! : undefined;
    if (tx !== undefined && hasEth && t > tx.seen) tx.seen = t;

    if (hasEth && eMac !== sMac && isStationMac(sMac) && !this.virtual(sMac) && !this.proxy.has(eMac)) {
      if (tx !== undefined) tx.mismatch++;
      this.reportMismatch(p, eMac, sMac, ctx);
    }

    if (p.arpOp === 1) {
      if (this.requests.size >= MAX_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
      const k = `${p.vlanOuter}|${sIp}>${tIp}`;
      this.requests.delete(k);
      this.requests.set(k, t);
    } else if (p.arpOp === 2 && sIp !== tIp && sIp !== 0 && tx !== undefined && !this.proxy.has(eMac)) {
      const asked = this.requests.get(`${p.vlanOuter}|${tIp}>${sIp}`);
      if (asked === undefined || t - asked > this.config.requestWindow || asked > t) this.unsolicited(p, eMac, tx, ctx);
    }

    if (sIp !== 0 && isStationMac(sMac) && !this.proxy.has(sMac)) this.claim(p, sIp, sMac, ctx);
  }

  private unsolicited(p: DecodedPacket, mac: number, st: Station, ctx: DetectorContext): void {
    const c = this.config;
    st.unsolTotal++;
    if (st.unsolFrames.length < MAX_FRAMES) st.unsolFrames.push([p.frame, p.time]);
    const recent = st.unsol.filter((x) => p.time - x <= c.unsolicitedWindow && x <= p.time);
    recent.push(p.time);
    st.unsol = recent.slice(-c.unsolicitedReplies);
    if (!st.unsolReported && st.unsol.length < c.unsolicitedReplies) return;
    const replay = st.unsolReported ? [] : st.unsolFrames.filter(([f]) => f !== p.frame);
    st.unsolReported = true;
    const m = macText(mac);
    const firstFrames = st.unsolFrames.map(([f]) => f);
    // The finding starts at the first unsolicited reply: earlier ones are reported in order first.
    replay.forEach(([frame, time], i) => this.reportUnsolicited(mac, m, frame, time, i + 1, firstFrames, ctx));
    this.reportUnsolicited(mac, m, p.frame, p.time, st.unsolTotal, firstFrames, ctx, formatIPv4(p.arpSenderIp >>> 0));
  }

  private reportUnsolicited(
    _mac: number,
    m: string,
    frame: number,
    time: number,
    count: number,
    firstFrames: number[],
    ctx: DetectorContext,
    lastSenderIp?: string,
  ): void {
    const c = this.config;
    ctx.report({
      key: `unsolicited|${m}`,
      type: 'arp-unsolicited-replies',
      severity: 'medium',
      mitre: MITRE,
      title: `Unsolicited ARP replies from ${m}`,
      description:
        `${m} sent ARP replies nobody asked for (no matching request within ${c.requestWindow} s), at least ` +
        `${c.unsolicitedReplies} within ${c.unsolicitedWindow} s. Gratuitous announcements are not counted: ` +
        'unicast answers to unasked questions are how arpspoof and ettercap keep a victim poisoned.',
      time,
      frame,
      count,
      src: { mac: m },
      details: { firstFrames, ...(lastSenderIp !== undefined ? { lastSenderIp } : {}) },
    });
  }

  private reportMismatch(p: DecodedPacket, eMac: number, sMac: number, ctx: DetectorContext): void {
    const e = macText(eMac);
    const s = macText(sMac);
    const owner = this.stations.get(sMac);
    // Forging the address of a station that transmits on this segment is impersonation.
    const impersonates = owner !== undefined && owner.seen >= 0;
    const sIp = formatIPv4(p.arpSenderIp >>> 0);
    ctx.report({
      key: `mismatch|${e}|${s}`,
      type: 'arp-sender-mismatch',
      severity: impersonates ? 'high' : 'medium',
      mitre: MITRE,
      title: `ARP sender MAC ${s} sent from Ethernet source ${e}`,
      description:
        `ARP ${p.arpOp === 1 ? 'requests' : p.arpOp === 2 ? 'replies' : 'messages'} from Ethernet source ${e} ` +
        `carry ${s} as the ARP sender (for ${sIp}). A host puts its own MAC in both; a mismatch is a forged ` +
        `ARP payload${impersonates ? `, here impersonating ${s}, a station seen transmitting on this segment` : ''} ` +
        '(arpspoof "re-arps" this way).',
      time: p.time,
      frame: p.frame,
      src: { mac: e },
      dst: { ip: formatIPv4(p.arpTargetIp >>> 0) },
      details: { ethernetSource: e, arpSenderMac: s, arpSenderIp: sIp, impersonatesLiveStation: impersonates },
    });
  }

  private claim(p: DecodedPacket, ip: number, mac: number, ctx: DetectorContext): void {
    const c = this.config;
    const t = p.time;
    const key = p.vlanOuter * 0x100000000 + ip;
    const st = this.station(mac, true)!;
    if (!this.virtual(mac) && !st.ips.includes(key)) {
      if (st.ips.length < MAX_IPS) st.ips.push(key);
      if (st.ips.length >= c.manyIpsThreshold) this.reportManyIps(p, mac, st, ctx);
    }
    let b = this.bindings.get(key);
    if (b === undefined) {
      if (this.bindings.size >= c.maxBindings) this.bindings.delete(this.bindings.keys().next().value!);
      b = { mac, first: t, last: t, flips: 0, prev: -1, macs: [mac], claims: [1], frames: [[p.frame, t]] };
      this.bindings.set(key, b);
      return;
    }
    if (t > b.last) b.last = t;
    const at = b.macs.indexOf(mac);
    if (at >= 0) b.claims[at]++;
    if (b.mac === mac) {
      if (b.flips > 0) this.reportConflict(p, ip, b, b.mac, ctx);
      else if (b.frames.length < MAX_FRAMES) b.frames.push([p.frame, t]);
      return;
    }
    const prev = b.mac;
    if (this.virtual(mac) && b.flips === 0) {
      // VRRP/HSRP failover: the virtual MAC takes its address over.
      b.mac = mac;
      b.macs = [mac];
      b.claims = [1];
      b.frames = [[p.frame, t]];
      return;
    }
    const old = this.stations.get(prev);
    const alive = old !== undefined && old.seen >= 0 && t - old.seen <= c.aliveWindow;
    if (!alive && b.flips === 0) {
      // The previous owner fell silent: a NIC swap or a new lease, not a conflict.
      b.mac = mac;
      b.macs = [mac];
      b.claims = [1];
      b.frames = [[p.frame, t]];
      return;
    }
    b.flips++;
    b.prev = prev;
    b.mac = mac;
    if (at < 0 && b.macs.length < MAX_MACS) {
      b.macs.push(mac);
      b.claims.push(1);
    }
    this.reportConflict(p, ip, b, prev, ctx);
  }

  /** The MAC among the binding's claimants with the most poisoning evidence (ties: the later claimant). */
  private suspect(b: Binding): number {
    let best = b.macs[0];
    let bestScore = -1;
    for (const m of b.macs) {
      const st = this.stations.get(m);
      const score = st === undefined ? 0 : st.unsolTotal + st.mismatch + (st.ips.length > 1 ? 1 : 0);
      if (score >= bestScore) {
        best = m;
        bestScore = score;
      }
    }
    return best;
  }

  private reportConflict(p: DecodedPacket, ip: number, b: Binding, prev: number, ctx: DetectorContext): void {
    const ipText = formatIPv4(ip);
    const suspect = macText(this.suspect(b));
    const macs = b.macs.map((m, i) => {
      const st = this.stations.get(m);
      return {
        mac: macText(m),
        claims: b.claims[i],
        otherIps: (st?.ips ?? [])
          .filter((k) => k % 0x100000000 !== ip)
          .slice(0, 16)
          .map((k) => formatIPv4(k % 0x100000000)),
        unsolicitedReplies: st?.unsolTotal ?? 0,
        mismatchedFramesSent: st?.mismatch ?? 0,
      };
    });
    const names = macs.map((m) => m.mac).join(' and ');
    const flipped = b.mac !== prev;
    // On the first flip, the previous owner's claims open the episode (the poison may be those).
    if (b.flips === 1 && flipped) for (const [frame, time] of b.frames) report(frame, time, 0);
    b.frames = [];
    report(p.frame, p.time, b.flips);
    function report(frame: number, time: number, count: number) {
      ctx.report({
        key: `conflict|${p.vlanOuter}|${ipText}`,
        type: 'arp-spoofing',
        severity: 'high',
        mitre: MITRE,
        title: `ARP spoofing: ${ipText} claimed by ${names}`,
        description:
          `${ipText} is claimed in ARP by ${macs.length} MACs while the earlier one is still alive (a "flip flop"): ` +
          `it went from ${macText(b.prev)} to ${macText(b.mac)}` +
          `${b.flips > 1 ? ` and changed hands ${b.flips} times` : ''}. Likely poisoner: ${suspect} ` +
          '(unsolicited replies, forged ARP senders, other addresses claimed). Hosts that trust it send ' +
          `their traffic for ${ipText} through it.`,
        time,
        frame,
        count,
        src: { ip: ipText, mac: suspect },
        details: {
          ip: ipText,
          ...(p.vlanOuter ? { vlan: p.vlanOuter } : {}),
          oldMac: macText(b.prev),
          newMac: macText(b.mac),
          suspectMac: suspect,
          macs,
          flips: b.flips,
        },
      });
    }
  }

  private reportManyIps(p: DecodedPacket, mac: number, st: Station, ctx: DetectorContext): void {
    const m = macText(mac);
    ctx.report({
      key: `many-ips|${m}`,
      type: 'arp-mac-many-ips',
      severity: 'high',
      mitre: MITRE,
      title: `${m} claims ${st.ips.length}${st.ips.length >= MAX_IPS ? '+' : ''} IP addresses in ARP`,
      description:
        `${m} announced itself in ARP as the owner of ${st.ips.length} addresses (threshold ${this.config.manyIpsThreshold}): ` +
        'the pattern of a poisoner answering for a whole subnet. A proxy-ARP router does this by design (list it in proxyArpMacs).',
      time: p.time,
      frame: p.frame,
      count: st.ips.length,
      src: { mac: m },
      details: { ips: st.ips.slice(0, 16).map((k) => formatIPv4(k % 0x100000000)) },
    });
  }

  snapshot(): ArpSpoofState {
    return {
      bindings: [...this.bindings].map(([k, b]) => [k, structuredClone(b)]),
      stations: [...this.stations].map(([k, s]) => [k, structuredClone(s)]),
      requests: [...this.requests],
    };
  }

  restore(state: ArpSpoofState): void {
    this.bindings = new Map(state.bindings.map(([k, b]) => [k, structuredClone(b)]));
    this.stations = new Map(state.stations.map(([k, s]) => [k, structuredClone(s)]));
    this.lastHi = this.prevHi = -1;
    this.requests = new Map(state.requests);
  }
}
