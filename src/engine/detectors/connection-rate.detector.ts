import type { ConnectionRateConfig } from '../config';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import { HostKey, dstHost, hostFromText, hostText, pairKey, srcHost } from '../decode/host-key';
import { FlowKeyBuilder, keyFromHex, keyToHex } from '../reassembly/flow-key';
import type { Detector, DetectorContext } from './detector';

/**
 * Sources that open new connections faster than an absolute threshold: completed TCP handshakes
 * plus new UDP flows that got an answer, per source per window (packet time). Failed attempts are
 * the port-scan and syn-flood detectors' business; this one sees hosts that really talk to many
 * peers at once (worm spreading, brute force, a compromised host's beaconing, a mass downloader).
 *
 * One finding per episode: consecutive windows at or above the threshold. Updated at doubling
 * counts and when the episode ends. (A learned per-source baseline comes with the baseline detector.)
 */

interface Pending {
  client: HostKey;
  isn: number;
  synAcked: boolean;
  t: number;
}

interface UdpFlow {
  /** The sender of the flow's first datagram. */
  from: HostKey;
  fromPort: number;
  answered: boolean;
  last: number;
  stamp: number;
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
  udp: Array<Omit<UdpFlow, 'from'> & { k: string; from: string }>;
  sources: Array<Omit<Source, 'host'> & { host: string }>;
}

export class ConnectionRateDetector implements Detector<ConnectionRateState> {
  readonly id = 'connection-rate';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /** Handshakes under way (insertion-ordered by SYN time), keyed client→server. */
  private pending = new Map<string, Pending & { server: HostKey; cport: number; sport: number }>();
  /** Clients with a SYN-ACKed handshake waiting for their ACK (only their packets are looked up). */
  private waiting = new Map<HostKey, number>();
  private udp = new Map<string, UdpFlow>();
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
    if ((f & TCP.SYN) !== 0) {
      if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
      if ((f & TCP.ACK) === 0) {
        const key = pairKey(6, srcHost(p), p.srcPort, dstHost(p), p.dstPort);
        const old = this.pending.get(key);
        if (old !== undefined) {
          if (old.isn === p.tcpSeq >>> 0) return;
          this.drop(key, old);
        }
        if (this.pending.size >= this.config.maxFlows) {
          // The oldest eighth, in one pass (one at a time from a Map's front is quadratic).
          let n = Math.max(1, this.config.maxFlows >> 3);
          for (const [k, x] of this.pending) {
            this.drop(k, x);
            if (--n === 0) break;
          }
        }
        this.pending.set(key, {
          client: srcHost(p),
          server: dstHost(p),
          cport: p.srcPort,
          sport: p.dstPort,
          isn: p.tcpSeq >>> 0,
          synAcked: false,
          t: p.time,
        });
      } else if (this.pending.size > 0) {
        const key = pairKey(6, dstHost(p), p.dstPort, srcHost(p), p.srcPort);
        const x = this.pending.get(key);
        if (x !== undefined && !x.synAcked && p.tcpAck >>> 0 === (x.isn + 1) >>> 0) {
          x.synAcked = true;
          this.waiting.set(x.client, (this.waiting.get(x.client) ?? 0) + 1);
        }
      }
      return;
    }
    if (this.waiting.size === 0 || (f & (TCP.ACK | TCP.RST)) !== TCP.ACK) return;
    const client = srcHost(p);
    if (!this.waiting.has(client)) return;
    const key = pairKey(6, client, p.srcPort, dstHost(p), p.dstPort);
    const x = this.pending.get(key);
    if (x === undefined || !x.synAcked || p.tcpSeq >>> 0 !== (x.isn + 1) >>> 0) return;
    this.drop(key, x);
    this.connection(client, 'tcp', p, ctx);
  }

  private onUdp(p: DecodedPacket, ctx: DetectorContext): void {
    const key = this.keys.build(p);
    let f = this.udp.get(key);
    if (f !== undefined && p.time - f.last > this.config.udpFlowTimeout) {
      this.udp.delete(key);
      f = undefined;
    }
    if (f === undefined) {
      if (this.udp.size >= this.config.maxFlows) {
        let n = Math.max(1, this.config.maxFlows >> 3);
        for (const k of this.udp.keys()) {
          this.udp.delete(k);
          if (--n === 0) break;
        }
      }
      this.udp.set(key, { from: srcHost(p), fromPort: p.srcPort, answered: false, last: p.time, stamp: p.time });
      return;
    }
    f.last = p.time;
    if (p.time - f.stamp >= 1) {
      this.udp.delete(key);
      this.udp.set(key, f);
      f.stamp = p.time;
    }
    if (!f.answered && p.dstPort === f.fromPort) {
      const to = dstHost(p);
      if (to === f.from) {
        f.answered = true;
        this.connection(f.from, 'udp', p, ctx);
      }
    }
  }

  private drop(key: string, x: Pending): void {
    this.pending.delete(key);
    if (x.synAcked) {
      const n = (this.waiting.get(x.client) ?? 1) - 1;
      if (n <= 0) this.waiting.delete(x.client);
      else this.waiting.set(x.client, n);
    }
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
    for (const [k, x] of this.pending) {
      if (x.t > limit) break;
      this.drop(k, x);
    }
    const udpLimit = this.now - this.config.udpFlowTimeout;
    for (const [k, f] of this.udp) {
      if (f.last > udpLimit) break;
      this.udp.delete(k);
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
    return { pending: this.pending.size, udp: this.udp.size, sources: this.sources.size };
  }

  snapshot(): ConnectionRateState {
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      pending: [...this.pending.values()].map((x) => ({
        client: hostText(x.client),
        cport: x.cport,
        server: hostText(x.server),
        sport: x.sport,
        isn: x.isn,
        synAcked: x.synAcked,
        t: x.t,
      })),
      udp: [...this.udp].map(([k, f]) => ({ ...f, k: keyToHex(k), from: hostText(f.from) })),
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
    this.pending = new Map();
    this.waiting = new Map();
    for (const x of state.pending) {
      const client = hostFromText(x.client);
      const server = hostFromText(x.server);
      this.pending.set(pairKey(6, client, x.cport, server, x.sport), { ...x, client, server });
      if (x.synAcked) this.waiting.set(client, (this.waiting.get(client) ?? 0) + 1);
    }
    this.udp = new Map();
    for (const f of state.udp) {
      this.udp.set(keyFromHex(f.k), {
        from: hostFromText(f.from),
        fromPort: f.fromPort,
        answered: f.answered,
        last: f.last,
        stamp: f.stamp,
      });
    }
    this.sources = new Map();
    for (const s of state.sources) {
      const host = hostFromText(s.host);
      this.sources.set(host, { ...s, host, episode: s.episode && { ...s.episode } });
    }
  }
}
