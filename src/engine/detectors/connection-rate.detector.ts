import type { ConnectionRateConfig } from '../config';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import { HostKey, dstHost, hostFromText, hostText, pairKey, srcHost } from '../decode/host-key';
import { FlowKeyBuilder, keyFromHex, keyToHex } from '../reassembly/flow-key';
import type { Detector, DetectorContext } from './detector';
import { PairTable, addFlowKey, flowKey4, growFloat64, growUint8 } from './pair-table';

/**
 * Sources that open new connections faster than an absolute threshold: completed TCP handshakes
 * plus new UDP flows that got an answer, per source per window (packet time). Failed attempts are
 * the port-scan and syn-flood detectors' business; this one sees hosts that really talk to many
 * peers at once (worm spreading, brute force, a compromised host's beaconing, a mass downloader).
 *
 * One finding per episode: consecutive windows at or above the threshold. Updated at doubling
 * counts and when the episode ends. (A learned per-source baseline comes with the baseline detector.)
 */

interface UdpFlowState {
  /** The sender of the flow's first datagram. */
  from: string;
  fromPort: number;
  answered: boolean;
  last: number;
  stamp: number;
  /** The flow's FlowKeyBuilder key, as hex. */
  k: string;
}

interface Source {
  host: HostKey;
  windowStart: number;
  count: number;
  tcp: number;
  udp: number;
  lastFrame: number;
  last: number;
  episode: {
    start: number;
    startFrame: number;
    windows: number;
    total: number;
    tcp: number;
    udp: number;
    peak: number;
    reported: number;
    last: number;
    lastFrame: number;
  } | null;
}

export interface ConnectionRateState {
  now: number;
  nextSweep: number;
  pending: Array<{
    client: string;
    cport: number;
    server: string;
    sport: number;
    isn: number;
    synAcked: boolean;
    t: number;
  }>;
  udp: UdpFlowState[];
  sources: Array<Omit<Source, 'host'> & { host: string }>;
}

export class ConnectionRateDetector implements Detector<ConnectionRateState> {
  readonly id = 'connection-rate';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /** Handshakes under way (insertion-ordered by SYN time), keyed client→server. */
  private pending = new PendingTable();
  /** Clients with a SYN-ACKed handshake waiting for their ACK (only their packets are looked up). */
  private waiting = new Map<HostKey, number>();
  /**
   * SYN-ACKed handshakes per bucket of IPv4 client (waitBucket): most ACKs come from no waiting
   * client, and this array read turns them away before the Map lookup of a (boxed) address.
   */
  private waitFilter = new Int32Array(1 << 16);
  /** UDP flows by canonical 4-tuple (low endpoint first), in order of creation / last move. */
  private udp = new UdpTable();
  private sources = new Map<HostKey, Source>();
  private readonly keys = new FlowKeyBuilder();

  constructor(private readonly config: ConnectionRateConfig) {}

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.l4Off < 0 || p.malformed !== null || p.ipVersion === 0 || p.isFragment) return;
    const proto = p.ipProto;
    if (proto !== 6 && proto !== 17) return;
    if (p.time > this.now) this.now = p.time;
    if (this.now >= this.nextSweep) {
      this.sweep(ctx);
      this.nextSweep = this.now + 1;
    }
    if (proto === 17) {
      this.onUdp(p, ctx);
      return;
    }
    const f = p.tcpFlags;
    const t = this.pending;
    if ((f & TCP.SYN) !== 0) {
      if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
      if ((f & TCP.ACK) === 0) {
        const v4 = p.ipVersion === 4;
        const key = v4 ? '' : pairKey(6, srcHost(p), p.srcPort, dstHost(p), p.dstPort);
        const old = v4 ? t.find4(p.src4 >>> 0, p.srcPort, p.dst4 >>> 0, p.dstPort) : t.find6(key);
        if (old >= 0) {
          if (t.isn[old] === p.tcpSeq >>> 0) return;
          this.drop(old);
        }
        if (t.size >= this.config.maxFlows) {
          // The oldest eighth, in one pass.
          let n = Math.max(1, this.config.maxFlows >> 3);
          for (let x = t.first(); x >= 0; x = t.first()) {
            this.drop(x);
            if (--n === 0) break;
          }
        }
        const x = v4
          ? t.insert4(p.src4 >>> 0, p.srcPort, p.dst4 >>> 0, p.dstPort)
          : t.insert6(key, srcHost(p) as string, p.srcPort, dstHost(p) as string, p.dstPort);
        t.isn[x] = p.tcpSeq >>> 0;
        t.time[x] = p.time;
      } else if (t.size > 0) {
        const x =
          p.ipVersion === 4
            ? t.find4(p.dst4 >>> 0, p.dstPort, p.src4 >>> 0, p.srcPort)
            : t.find6(pairKey(6, dstHost(p), p.dstPort, srcHost(p), p.srcPort));
        if (x >= 0 && t.acked[x] === 0 && p.tcpAck >>> 0 === (t.isn[x] + 1) >>> 0) {
          t.acked[x] = 1;
          const client = t.client(x);
          this.waiting.set(client, (this.waiting.get(client) ?? 0) + 1);
          if (typeof client === 'number') this.waitFilter[waitBucket(client)]++;
        }
      }
      return;
    }
    if (this.waiting.size === 0 || (f & (TCP.ACK | TCP.RST)) !== TCP.ACK) return;
    if (p.ipVersion === 4 && this.waitFilter[waitBucket(p.src4)] === 0) return;
    const client = srcHost(p);
    if (!this.waiting.has(client)) return;
    const x =
      p.ipVersion === 4
        ? t.find4(client as number, p.srcPort, p.dst4 >>> 0, p.dstPort)
        : t.find6(pairKey(6, client, p.srcPort, dstHost(p), p.dstPort));
    if (x < 0 || t.acked[x] === 0 || p.tcpSeq >>> 0 !== (t.isn[x] + 1) >>> 0) return;
    this.drop(x);
    this.connection(client, 'tcp', p, ctx);
  }

  private onUdp(p: DecodedPacket, ctx: DetectorContext): void {
    const u = this.udp;
    const t = u.t;
    let low: boolean;
    let a: HostKey;
    let ap: number;
    let b: HostKey;
    let bp: number;
    let key6: string | null = null;
    if (p.ipVersion === 4) {
      const sa = p.src4 >>> 0;
      const da = p.dst4 >>> 0;
      const sp = p.srcPort;
      const dp = p.dstPort;
      low = sa < da || (sa === da && sp <= dp);
      a = low ? sa : da;
      ap = low ? sp : dp;
      b = low ? da : sa;
      bp = low ? dp : sp;
    } else {
      key6 = this.keys.build(p);
      low = this.keys.srcIsLow;
      a = low ? srcHost(p) : dstHost(p);
      ap = low ? p.srcPort : p.dstPort;
      b = low ? dstHost(p) : srcHost(p);
      bp = low ? p.dstPort : p.srcPort;
    }
    let x = key6 === null ? t.find4(0, a as number, ap, b as number, bp) : t.find(0, a, ap, b, bp);
    if (x >= 0 && p.time - u.last[x] > this.config.udpFlowTimeout) {
      u.remove(x);
      x = -1;
    }
    if (x < 0) {
      if (t.size >= this.config.maxFlows) {
        let n = Math.max(1, this.config.maxFlows >> 3);
        for (let s = t.head, nx = -1; s !== -1 && n > 0; s = nx, n--) {
          nx = t.next[s];
          u.remove(s);
        }
      }
      x = t.add(0, a, ap, b, bp);
      u.key6[x] = key6;
      u.fromLow[x] = low ? 1 : 0;
      u.answered[x] = 0;
      u.last[x] = p.time;
      u.stamp[x] = p.time;
      return;
    }
    u.last[x] = p.time;
    if (p.time - u.stamp[x] >= 1) {
      t.moveToBack(x);
      u.stamp[x] = p.time;
    }
    // Answered: this datagram goes back to the flow's first sender.
    if (u.answered[x] === 0) {
      const fromLow = u.fromLow[x] !== 0;
      if (p.dstPort === (fromLow ? ap : bp)) {
        const from = fromLow ? a : b;
        if (dstHost(p) === from) {
          u.answered[x] = 1;
          this.connection(from, 'udp', p, ctx);
        }
      }
    }
  }

  private drop(x: number): void {
    if (this.pending.acked[x] !== 0) {
      const client = this.pending.client(x);
      if (typeof client === 'number') this.waitFilter[waitBucket(client)]--;
      const n = (this.waiting.get(client) ?? 1) - 1;
      if (n <= 0) this.waiting.delete(client);
      else this.waiting.set(client, n);
    }
    this.pending.remove(x);
  }

  private connection(host: HostKey, kind: 'tcp' | 'udp', p: DecodedPacket, ctx: DetectorContext): void {
    let s = this.sources.get(host);
    if (s !== undefined && p.time - s.windowStart >= this.config.window) {
      this.roll(s, p.time, ctx);
    }
    if (s === undefined) {
      if (this.sources.size >= this.config.maxSources) {
        for (const [h, old] of this.sources) {
          if (old.episode !== null) this.endEpisode(old, ctx);
          this.sources.delete(h);
          break;
        }
      }
      s = {
        host,
        windowStart: p.time,
        count: 0,
        tcp: 0,
        udp: 0,
        last: p.time,
        lastFrame: p.frame,
        episode: null,
      };
      this.sources.set(host, s);
    }
    s.count++;
    if (kind === 'tcp') s.tcp++;
    else s.udp++;
    s.last = p.time;
    s.lastFrame = p.frame;
    const e = s.episode;
    if (e !== null) {
      e.total++;
      if (kind === 'tcp') e.tcp++;
      else e.udp++;
      e.last = p.time;
      e.lastFrame = p.frame;
      if (s.count > e.peak) e.peak = s.count;
      if (e.total >= 2 * e.reported) this.report(s, ctx);
    } else if (s.count >= this.config.threshold) {
      s.episode = {
        start: s.windowStart,
        startFrame: p.frame,
        windows: 1,
        total: s.count,
        tcp: s.tcp,
        udp: s.udp,
        peak: s.count,
        reported: 0,
        last: p.time,
        lastFrame: p.frame,
      };
      this.report(s, ctx);
    }
  }

  /** A new window begins for `s` at `time` (or later): the episode goes on only if the last window was hot. */
  private roll(s: Source, time: number, ctx: DetectorContext): void {
    const w = this.config.window;
    const hot = s.count >= this.config.threshold;
    const next = s.windowStart + w * Math.floor((time - s.windowStart) / w);
    const consecutive = next - s.windowStart <= w;
    if (s.episode !== null && (!hot || !consecutive)) this.endEpisode(s, ctx);
    else if (s.episode !== null) s.episode.windows++;
    s.windowStart = next;
    s.count = 0;
    s.tcp = 0;
    s.udp = 0;
  }

  private endEpisode(s: Source, ctx: DetectorContext): void {
    const e = s.episode!;
    if (e.total > e.reported) this.report(s, ctx);
    s.episode = null;
  }

  private report(s: Source, ctx: DetectorContext): void {
    const e = s.episode!;
    const first = e.reported === 0;
    e.reported = e.total;
    const ip = hostText(s.host);
    const c = this.config;
    ctx.report({
      key: `${ip}|${e.start}`,
      type: 'connection-rate',
      severity: 'medium',
      title: `High connection rate from ${ip}: ${e.total} new connections (peak ${e.peak} per ${c.window} s)`,
      description:
        `${ip} opened ${e.total} new connections (${e.tcp} completed TCP handshakes, ${e.udp} answered UDP flows) ` +
        `in ${e.windows} window${e.windows === 1 ? '' : 's'} of ${c.window} s, at or above the threshold of ${c.threshold} per window ` +
        `(ntopng's flow-flood default, 50/s). Typical of worm spreading, brute forcing, mass scraping or a connection flood exhausting a service.`,
      mitre: 'T1499.002',
      // The first report carries the window's start (the finding's firstSeen), later ones the latest connection.
      time: first ? e.start : e.last,
      frame: e.lastFrame,
      count: e.total,
      src: { ip },
      details: {
        start: e.start,
        windows: e.windows,
        tcpHandshakes: e.tcp,
        udpFlows: e.udp,
        peakPerWindow: e.peak,
        window: c.window,
        threshold: c.threshold,
      },
    });
  }

  private sweep(ctx: DetectorContext): void {
    const limit = this.now - this.config.handshakeTimeout;
    const t = this.pending;
    for (let x = t.first(); x >= 0 && t.time[x] <= limit; x = t.first()) this.drop(x);
    const udpLimit = this.now - this.config.udpFlowTimeout;
    const u = this.udp;
    for (let x = u.t.head; x !== -1; x = u.t.head) {
      if (u.last[x] > udpLimit) break;
      u.remove(x);
    }
    for (const [h, s] of this.sources) {
      if (this.now - s.windowStart < this.config.window) break;
      this.sources.delete(h);
      this.roll(s, this.now, ctx);
      if (s.episode !== null) this.sources.set(h, s);
    }
  }

  flush(ctx: DetectorContext): void {
    for (const s of this.sources.values()) if (s.episode !== null) this.endEpisode(s, ctx);
  }

  get size(): { pending: number; udp: number; sources: number } {
    return { pending: this.pending.size, udp: this.udp.t.size, sources: this.sources.size };
  }

  snapshot(): ConnectionRateState {
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      pending: this.pending.toState(),
      udp: this.udp.toState(),
      sources: [...this.sources.values()].map((s) => ({
        ...s,
        host: hostText(s.host),
        episode: s.episode && { ...s.episode },
      })),
    };
  }

  restore(state: ConnectionRateState): void {
    this.now = state.now ?? -Infinity;
    this.nextSweep = state.nextSweep ?? -Infinity;
    this.pending = new PendingTable();
    this.waiting = new Map();
    this.waitFilter = new Int32Array(1 << 16);
    for (const x of state.pending) {
      const client = hostFromText(x.client);
      const server = hostFromText(x.server);
      const i =
        typeof client === 'number' && typeof server === 'number'
          ? this.pending.insert4(client, x.cport, server, x.sport)
          : this.pending.insert6(
              pairKey(6, client, x.cport, server, x.sport),
              hostText(client),
              x.cport,
              hostText(server),
              x.sport,
            );
      this.pending.isn[i] = x.isn;
      this.pending.time[i] = x.t;
      if (x.synAcked) {
        this.pending.acked[i] = 1;
        this.waiting.set(client, (this.waiting.get(client) ?? 0) + 1);
        if (typeof client === 'number') this.waitFilter[waitBucket(client)]++;
      }
    }
    this.udp = UdpTable.fromState(state.udp);
    this.sources = new Map();
    for (const s of state.sources) {
      const host = hostFromText(s.host);
      this.sources.set(host, { ...s, host, episode: s.episode && { ...s.episode } });
    }
  }
}

/**
 * UDP flows in a PairTable with typed-array columns: a key string and an object per new flow (and
 * a string per datagram to look it up) were most of this detector's UDP cost.
 */
class UdpTable {
  readonly t: PairTable;
  /** Whether the flow's first sender is the low endpoint (a). */
  fromLow: Uint8Array = new Uint8Array(0);
  answered: Uint8Array = new Uint8Array(0);
  last: Float64Array = new Float64Array(0);
  stamp: Float64Array = new Float64Array(0);
  /** IPv6 slots' FlowKeyBuilder key (for snapshots); null for IPv4 slots. */
  key6: Array<string | null> = [];

  constructor() {
    this.t = new PairTable(256, (cap) => this.grow(cap));
    this.grow(this.t.capacity);
  }

  private grow(cap: number): void {
    this.fromLow = growUint8(this.fromLow, cap);
    this.answered = growUint8(this.answered, cap);
    this.last = growFloat64(this.last, cap);
    this.stamp = growFloat64(this.stamp, cap);
    for (let s = this.key6.length; s < cap; s++) this.key6.push(null);
  }

  remove(s: number): void {
    this.key6[s] = null;
    this.t.remove(s);
  }

  toState(): UdpFlowState[] {
    const out: UdpFlowState[] = [];
    const t = this.t;
    for (let s = t.head; s !== -1; s = t.next[s]) {
      const low = this.fromLow[s] !== 0;
      out.push({
        from: hostText(low ? t.aHost(s) : t.bHost(s)),
        fromPort: low ? t.aPort(s) : t.bPort(s),
        answered: this.answered[s] !== 0,
        last: this.last[s],
        stamp: this.stamp[s],
        k: keyToHex(this.key6[s] ?? flowKey4(t, s)),
      });
    }
    return out;
  }

  static fromState(list: UdpFlowState[]): UdpTable {
    const u = new UdpTable();
    for (const f of list) {
      const key = keyFromHex(f.k);
      const s = addFlowKey(u.t, 0, key);
      if (s < 0) continue;
      if (key.length !== 6) u.key6[s] = key;
      u.fromLow[s] = hostFromText(f.from) === u.t.aHost(s) && f.fromPort === u.t.aPort(s) ? 1 : 0;
      u.answered[s] = f.answered ? 1 : 0;
      u.last[s] = f.last;
      u.stamp[s] = f.stamp;
    }
    return u;
  }
}

/**
 * Handshakes under way as parallel typed arrays: a flood or scan puts a million SYNs through this
 * table, and an object plus a string key per SYN was most of the detector's cost. IPv4 handshakes
 * are found by an open-addressing hash of the 4-tuple, IPv6 ones by text key in a Map. Slots are
 * kept in insertion order in a ring, as a Map would keep them: eviction and expiry go oldest first.
 */
class PendingTable {
  size = 0;
  private cap = 0;
  cli = new Uint32Array(0);
  srv = new Uint32Array(0);
  /** Client port << 16 | server port. */
  ports = new Uint32Array(0);
  isn = new Uint32Array(0);
  time = new Float64Array(0);
  acked = new Uint8Array(0);
  /** IPv6 slots: client and server as text, and the Map key; null for IPv4 slots. */
  private cli6: Array<string | null> = [];
  private srv6: Array<string | null> = [];
  private key6: Array<string | null> = [];
  private readonly index6 = new Map<string, number>();
  /** Open addressing, linear probing: slot + 1, 0 = empty. */
  private index = new Int32Array(0);
  private mask = 0;
  private free = new Int32Array(0);
  private freeTop = 0;
  /** Slots in insertion order, -1 where one was removed; live ones in [head, tail). */
  private ring = new Int32Array(0);
  private ringPos = new Int32Array(0);
  private head = 0;
  private tail = 0;

  client(x: number): HostKey {
    const h = this.cli6[x];
    return h === null ? this.cli[x] : h;
  }

  find4(c: number, cp: number, s: number, sp: number): number {
    if (this.cap === 0) return -1;
    const ports = ((cp << 16) | sp) >>> 0;
    for (let i = hash4(c, s, ports) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.index[i];
      if (v === 0) return -1;
      const x = v - 1;
      if (this.cli[x] === c && this.srv[x] === s && this.ports[x] === ports) return x;
    }
  }

  find6(key: string): number {
    return this.index6.get(key) ?? -1;
  }

  insert4(c: number, cp: number, s: number, sp: number): number {
    const x = this.alloc();
    this.cli[x] = c;
    this.srv[x] = s;
    const ports = ((cp << 16) | sp) >>> 0;
    this.ports[x] = ports;
    let i = hash4(c, s, ports) & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = x + 1;
    return x;
  }

  insert6(key: string, c: string, cp: number, s: string, sp: number): number {
    const x = this.alloc();
    this.cli6[x] = c;
    this.srv6[x] = s;
    this.key6[x] = key;
    this.ports[x] = ((cp << 16) | sp) >>> 0;
    this.index6.set(key, x);
    return x;
  }

  /** The oldest slot, or -1. */
  first(): number {
    while (this.head < this.tail && this.ring[this.head] < 0) this.head++;
    return this.head < this.tail ? this.ring[this.head] : -1;
  }

  remove(x: number): void {
    const key = this.key6[x];
    if (key !== null) {
      this.index6.delete(key);
      this.cli6[x] = this.srv6[x] = this.key6[x] = null;
    } else {
      this.unindex4(x);
    }
    this.ring[this.ringPos[x]] = -1;
    this.free[this.freeTop++] = x;
    this.size--;
  }

  toState(): ConnectionRateState['pending'] {
    const out: ConnectionRateState['pending'] = [];
    for (let i = this.head; i < this.tail; i++) {
      const x = this.ring[i];
      if (x < 0) continue;
      const v6 = this.key6[x] !== null;
      out.push({
        client: v6 ? this.cli6[x]! : hostText(this.cli[x]),
        cport: this.ports[x] >>> 16,
        server: v6 ? this.srv6[x]! : hostText(this.srv[x]),
        sport: this.ports[x] & 0xffff,
        isn: this.isn[x],
        synAcked: this.acked[x] !== 0,
        t: this.time[x],
      });
    }
    return out;
  }

  private alloc(): number {
    if (this.freeTop === 0) this.grow();
    if (this.tail === this.ring.length) this.compact();
    const x = this.free[--this.freeTop];
    this.acked[x] = 0;
    this.ring[this.tail] = x;
    this.ringPos[x] = this.tail++;
    this.size++;
    return x;
  }

  /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
  private unindex4(x: number): void {
    const m = this.mask;
    let i = hash4(this.cli[x], this.srv[x], this.ports[x]) & m;
    while (this.index[i] !== x + 1) i = (i + 1) & m;
    let j = i;
    for (;;) {
      j = (j + 1) & m;
      const v = this.index[j];
      if (v === 0) break;
      const y = v - 1;
      const home = hash4(this.cli[y], this.srv[y], this.ports[y]) & m;
      // y may fill the hole at i only if its home is not in (i, j] (cyclically).
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.index[i] = v;
        i = j;
      }
    }
    this.index[i] = 0;
  }

  private compact(): void {
    let n = 0;
    for (let i = this.head; i < this.tail; i++) {
      const x = this.ring[i];
      if (x < 0) continue;
      this.ring[n] = x;
      this.ringPos[x] = n++;
    }
    this.head = 0;
    this.tail = n;
  }

  private grow(): void {
    const old = this.cap;
    const cap = Math.max(1024, old * 2);
    this.cap = cap;
    this.cli = widen(this.cli, new Uint32Array(cap));
    this.srv = widen(this.srv, new Uint32Array(cap));
    this.ports = widen(this.ports, new Uint32Array(cap));
    this.isn = widen(this.isn, new Uint32Array(cap));
    this.time = widen(this.time, new Float64Array(cap));
    this.acked = widen(this.acked, new Uint8Array(cap));
    this.ringPos = widen(this.ringPos, new Int32Array(cap));
    for (let x = old; x < cap; x++) {
      this.cli6.push(null);
      this.srv6.push(null);
      this.key6.push(null);
    }
    // The ring is twice the slots, so compacting always leaves room for as many appends as slots.
    const ring = new Int32Array(cap * 2);
    ring.set(this.ring.subarray(this.head, this.tail));
    this.tail -= this.head;
    this.head = 0;
    for (let i = 0; i < this.tail; i++) if (ring[i] >= 0) this.ringPos[ring[i]] = i;
    this.ring = ring;
    this.free = new Int32Array(cap);
    this.freeTop = 0;
    for (let x = cap - 1; x >= old; x--) this.free[this.freeTop++] = x;
    this.index = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let i = this.head; i < this.tail; i++) {
      const x = this.ring[i];
      if (x < 0 || this.key6[x] !== null) continue;
      let j = hash4(this.cli[x], this.srv[x], this.ports[x]) & this.mask;
      while (this.index[j] !== 0) j = (j + 1) & this.mask;
      this.index[j] = x + 1;
    }
  }
}

/** A 16-bit bucket of an IPv4 address (signed or unsigned: only its 32 bits count). */
function waitBucket(a: number): number {
  return (a ^ (a >>> 16)) & 0xffff;
}

function widen<T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function hash4(c: number, s: number, ports: number): number {
  let h = Math.imul(c ^ Math.imul(s, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}
