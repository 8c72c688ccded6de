import type { SynFloodConfig } from '../config';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import {
  HostKey,
  compareHosts,
  dstHost,
  endpointKey,
  hashHost,
  hostFromText,
  hostText,
  pairKey,
  srcHost,
} from '../decode/host-key';
import type { Detector, DetectorContext } from './detector';

/**
 * SYN floods against one ip:port: per second of packet time, how many SYNs the target got and how
 * many of them the client completed with its ACK within that second. A second with at least
 * `minIncompleteRate` incomplete handshakes, making up at least `minIncompleteRatio` of its SYNs,
 * is "hot"; hot seconds no more than `episodeGap` apart form one episode, reported as one finding
 * (start, end, peak SYNs/s, SYN / SYN-ACK / completed counts, distinct sources with the busiest
 * named), updated once per hot second and closed when the episode ends.
 *
 * A port scan sends one SYN per port, so it never makes a target hot; a busy server completes
 * most handshakes, so it isn't hot either. Spoofed floods are bounded: the half-open table and the
 * per-episode source table are capped (the oldest half-open entry expires early; further sources
 * are counted in a linear-counting bitmap) and the finding says from which frame it sampled.
 */

interface HalfOpen {
  target: number | string;
  tip: HostKey;
  tport: number;
  client: HostKey;
  cport: number;
  isn: number;
  /** Second (floor of packet time) of the SYN. */
  sec: number;
  t: number;
  synAcked: boolean;
}

interface Episode {
  start: number;
  startFrame: number;
  end: number;
  endFrame: number;
  lastHotSec: number;
  hotSeconds: number;
  peakRate: number;
  peakIncomplete: number;
  syn: number;
  synAck: number;
  completed: number;
  clientRst: number;
  timedOut: number;
  src: Sources;
  halfOpenSampledFrom: number | null;
}

/** Sources counted by name up to a cap, then by a linear-counting bitmap (all of them). */
interface Sources {
  byName: Map<HostKey, number>;
  sketch: Uint8Array | null;
  sampledFrom: number | null;
}

interface SourcesState {
  byName: Array<[string, number]>;
  sketch: string | null;
  sampledFrom: number | null;
}

interface Target {
  key: number | string;
  ip: HostKey;
  port: number;
  sec: number;
  /** SYNs, completions (of SYNs of this second), first / last SYN time and frame in `sec`. */
  bSyn: number;
  bCompleted: number;
  /** SYN-ACKs and client RSTs for half-open handshakes while no episode runs (the second that starts one counts them). */
  bSynAck: number;
  bRst: number;
  bTimedOut: number;
  /** First frame at which the full half-open table expired one of this target's handshakes early. */
  halfOpenSampledFrom: number | null;
  bFirst: number;
  bFirstFrame: number;
  bLast: number;
  bLastFrame: number;
  /** Sources of this second's SYNs, handed to an episode that starts with it. */
  bSources: Sources;
  open: number;
  episode: Episode | null;
  /** Sweep marker: the second this target was last swept in. */
  swept: number;
}

const SKETCH_BYTES = 2048; // 16384 bits: linear counting stays within ~1 % up to ~50 000 sources

export interface SynFloodState {
  now: number;
  nextSweep: number;
  halfOpen: Array<Omit<HalfOpen, 'client' | 'target' | 'tip'> & { client: string; tip: string }>;
  targets: Array<
    Omit<Target, 'key' | 'ip' | 'bSources' | 'episode'> & {
      ip: string;
      bSources: SourcesState;
      episode: (Omit<Episode, 'src'> & { src: SourcesState }) | null;
    }
  >;
}

export class SynFloodDetector implements Detector<SynFloodState> {
  readonly id = 'syn-flood';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /** Insertion-ordered by SYN time: expiry and eviction take from the front. */
  private half = new Map<string, HalfOpen>();
  /** Insertion-ordered by the last second a target saw a SYN. */
  private targets = new Map<number | string, Target>();

  constructor(private readonly config: SynFloodConfig) {}

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.ipProto !== 6 || p.l4Off < 0 || p.malformed !== null || p.ipVersion === 0) return;
    const t = p.time;
    if (t > this.now) this.now = t;
    if (this.now >= this.nextSweep) {
      this.sweep(ctx);
      this.nextSweep = this.now + 1;
    }
    const f = p.tcpFlags;
    if ((f & TCP.SYN) !== 0) {
      if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
      if ((f & TCP.ACK) === 0) this.onSyn(p, ctx);
      else if (this.targets.size > 0) this.onSynAck(p);
      return;
    }
    if (this.half.size === 0) return;
    // A packet from a client to a target with half-open handshakes: RST ends one, ACK completes it.
    const target = this.targets.get(
      p.ipVersion === 4 ? (p.dst4 >>> 0) * 65536 + p.dstPort : endpointKey(dstHost(p), p.dstPort),
    );
    if (target === undefined || target.open === 0) return;
    const key = pairKey(0, target.ip, target.port, srcHost(p), p.srcPort);
    const h = this.half.get(key);
    if (h === undefined) return;
    if ((f & TCP.RST) !== 0) {
      this.settle(key, h, target);
      if (target.episode !== null) target.episode.clientRst++;
      else target.bRst++;
    } else if ((f & TCP.ACK) !== 0 && h.synAcked && p.tcpSeq >>> 0 === (h.isn + 1) >>> 0) {
      this.settle(key, h, target);
      if (h.sec === target.sec) target.bCompleted++;
      if (target.episode !== null) target.episode.completed++;
    }
  }

  private onSyn(p: DecodedPacket, ctx: DetectorContext): void {
    const ip = dstHost(p);
    const tkey = endpointKey(ip, p.dstPort);
    const client = srcHost(p);
    const key = pairKey(0, ip, p.dstPort, client, p.srcPort);
    const isn = p.tcpSeq >>> 0;
    const prev = this.half.get(key);
    if (prev !== undefined && prev.isn === isn) return; // retransmission: not a new handshake
    const sec = Math.floor(p.time);
    let target = this.targets.get(tkey);
    if (target === undefined) {
      if (this.targets.size >= this.config.maxTargets) this.evictTarget(ctx);
      target = newTarget(tkey, ip, p.dstPort, sec);
      this.targets.set(tkey, target);
    }
    if (prev !== undefined) this.settle(key, prev, target);
    if (sec !== target.sec) {
      this.closeSecond(target, ctx);
      target.sec = sec;
      // Keep the map ordered by activity (once per target per second).
      this.targets.delete(tkey);
      this.targets.set(tkey, target);
    }
    if (target.bSyn === 0) {
      target.bFirst = p.time;
      target.bFirstFrame = p.frame;
    }
    target.bSyn++;
    target.bLast = p.time;
    target.bLastFrame = p.frame;
    const e = target.episode;
    if (e !== null) e.syn++;
    this.countSource(e !== null ? e.src : target.bSources, client, p.frame);
    if (this.half.size >= this.config.maxHalfOpen) this.evictHalfOpen(p.frame);
    this.half.set(key, {
      target: tkey,
      tip: ip,
      tport: p.dstPort,
      client,
      cport: p.srcPort,
      isn,
      sec,
      t: p.time,
      synAcked: false,
    });
    target.open++;
  }

  private onSynAck(p: DecodedPacket): void {
    const target = this.targets.get(
      p.ipVersion === 4 ? (p.src4 >>> 0) * 65536 + p.srcPort : endpointKey(srcHost(p), p.srcPort),
    );
    if (target === undefined || target.open === 0) return;
    const h = this.half.get(pairKey(0, target.ip, target.port, dstHost(p), p.dstPort));
    if (h === undefined || h.synAcked || p.tcpAck >>> 0 !== (h.isn + 1) >>> 0) return;
    h.synAcked = true;
    if (target.episode !== null) target.episode.synAck++;
    else target.bSynAck++;
  }

  private countSource(s: Sources, client: HostKey, frame: number): void {
    const n = s.byName.get(client);
    if (n !== undefined) {
      s.byName.set(client, n + 1);
      return;
    }
    if (s.byName.size < this.config.maxSourcesPerEpisode) {
      s.byName.set(client, 1);
      if (s.sketch !== null) setBit(s.sketch, hashHost(client));
      return;
    }
    if (s.sketch === null) {
      s.sketch = new Uint8Array(SKETCH_BYTES);
      for (const h of s.byName.keys()) setBit(s.sketch, hashHost(h));
      s.sampledFrom = frame;
    }
    setBit(s.sketch, hashHost(client));
  }

  private settle(key: string, _h: HalfOpen, target: Target): void {
    this.half.delete(key);
    if (target.open > 0) target.open--;
  }

  /** The table is full: the oldest eighth expires early, in one pass (one at a time from a Map's front is quadratic). */
  private evictHalfOpen(frame: number): void {
    let n = Math.max(1, this.config.maxHalfOpen >> 3);
    for (const [key, h] of this.half) {
      const target = this.targets.get(h.target);
      if (target !== undefined) {
        this.settle(key, h, target);
        const e = target.episode;
        if (target.halfOpenSampledFrom === null) target.halfOpenSampledFrom = frame;
        if (e !== null) {
          e.timedOut++;
          if (e.halfOpenSampledFrom === null) e.halfOpenSampledFrom = frame;
        } else target.bTimedOut++;
      } else this.half.delete(key);
      if (--n === 0) return;
    }
  }

  private evictTarget(ctx: DetectorContext): void {
    for (const [key, t] of this.targets) {
      this.closeSecond(t, ctx);
      if (t.episode !== null) this.endEpisode(t, ctx);
      this.targets.delete(key);
      return;
    }
  }

  /** Judge the target's current second; start / extend / report the episode. */
  private closeSecond(t: Target, ctx: DetectorContext): void {
    if (t.bSyn === 0) return;
    const c = this.config;
    const incomplete = t.bSyn - t.bCompleted;
    const hot = incomplete >= c.minIncompleteRate && incomplete >= c.minIncompleteRatio * t.bSyn;
    let e = t.episode;
    if (e !== null && t.sec - e.lastHotSec > c.episodeGap) {
      this.endEpisode(t, ctx);
      e = null;
    }
    if (hot) {
      if (e === null) {
        e = {
          start: t.bFirst,
          startFrame: t.bFirstFrame,
          end: t.bLast,
          endFrame: t.bLastFrame,
          lastHotSec: t.sec,
          hotSeconds: 0,
          peakRate: 0,
          peakIncomplete: 0,
          syn: t.bSyn,
          synAck: t.bSynAck,
          completed: t.bCompleted,
          clientRst: t.bRst,
          timedOut: t.bTimedOut,
          src: t.bSources,
          halfOpenSampledFrom: t.halfOpenSampledFrom,
        };
        t.bSources = newSources();
        t.episode = e;
      }
      e.hotSeconds++;
      e.lastHotSec = t.sec;
      e.end = t.bLast;
      e.endFrame = t.bLastFrame;
      if (t.bSyn > e.peakRate) e.peakRate = t.bSyn;
      if (incomplete > e.peakIncomplete) e.peakIncomplete = incomplete;
      this.report(t, e, e.hotSeconds === 1, ctx);
    }
    t.bSyn = 0;
    t.bCompleted = 0;
    t.bSynAck = 0;
    t.bRst = 0;
    t.bTimedOut = 0;
    if (t.bSources.byName.size > 0) t.bSources = newSources();
  }

  private endEpisode(t: Target, ctx: DetectorContext): void {
    const e = t.episode!;
    t.episode = null;
    this.report(t, e, false, ctx);
  }

  /** The first report of an episode carries its start (the finding's firstSeen), later ones its end. */
  private report(t: Target, e: Episode, first: boolean, ctx: DetectorContext): void {
    const c = this.config;
    const target = `${hostText(t.ip)}:${t.port}`;
    const top = [...e.src.byName]
      .sort((a, b) => b[1] - a[1] || compareHosts(a[0], b[0]))
      .slice(0, c.topSources)
      .map(([h, n]) => ({ ip: hostText(h), syns: n }));
    const distinct = e.src.sketch === null ? e.src.byName.size : estimate(e.src.sketch);
    const approx = e.src.sketch !== null;
    const only = e.src.byName.size === 1 && !approx ? hostText([...e.src.byName.keys()][0]) : undefined;
    const notes: string[] = [];
    if (e.src.sampledFrom !== null) {
      notes.push(
        `More than ${c.maxSourcesPerEpisode} sources: from frame ${e.src.sampledFrom} on, further sources are counted by estimate (linear counting), not by name.`,
      );
    }
    if (e.halfOpenSampledFrom !== null) {
      notes.push(
        `The half-open table (${c.maxHalfOpen}) was full from frame ${e.halfOpenSampledFrom}: older handshakes were expired early (counted as timed out).`,
      );
    }
    ctx.report({
      key: `${target}|${e.start}`,
      type: 'syn-flood',
      severity: 'high',
      mitre: 'T1498',
      title: `SYN flood on ${target}: ${e.syn} SYNs, peak ${e.peakRate}/s, ${approx ? '~' : ''}${distinct} source${distinct === 1 ? '' : 's'}`,
      description:
        `${target} received ${e.syn} SYNs in ${e.hotSeconds} hot second${e.hotSeconds === 1 ? '' : 's'} (peak ${e.peakRate} SYNs/s, ` +
        `${e.peakIncomplete} of them not completed); ${e.synAck} were answered with SYN-ACK and only ${e.completed} handshakes completed. ` +
        `Sources: ${approx ? 'about ' : ''}${distinct}${top.length ? ` (busiest: ${top.map((x) => `${x.ip} ${x.syns}`).join(', ')})` : ''}. ` +
        `Half-open handshakes exhaust the server's backlog (network / endpoint denial of service, T1498 / T1499).` +
        (notes.length ? ` ${notes.join(' ')}` : ''),
      time: first ? e.start : e.end,
      frame: first ? e.startFrame : e.endFrame,
      ...(first ? { frames: [e.endFrame] } : {}),
      count: e.syn,
      ...(only ? { src: { ip: only } } : {}),
      dst: { ip: hostText(t.ip), port: t.port },
      details: {
        start: e.start,
        end: e.end,
        startFrame: e.startFrame,
        hotSeconds: e.hotSeconds,
        peakRate: e.peakRate,
        peakIncomplete: e.peakIncomplete,
        syn: e.syn,
        synAck: e.synAck,
        completed: e.completed,
        clientRst: e.clientRst,
        timedOut: e.timedOut,
        ratios: {
          synAckPerSyn: round(e.synAck / e.syn),
          ackPerSyn: round(e.completed / e.syn),
        },
        sources: { count: distinct, estimated: approx, top },
        ...(e.src.sampledFrom !== null ? { sourcesSampledFromFrame: e.src.sampledFrom } : {}),
        ...(e.halfOpenSampledFrom !== null ? { halfOpenSampledFromFrame: e.halfOpenSampledFrom } : {}),
      },
    });
  }

  /** Once per second of packet time: expire half-open entries, judge idle targets' seconds, end episodes. */
  private sweep(ctx: DetectorContext): void {
    const limit = this.now - this.config.handshakeTimeout;
    for (const [key, h] of this.half) {
      if (h.t > limit) break;
      const target = this.targets.get(h.target);
      if (target === undefined) {
        this.half.delete(key);
        continue;
      }
      this.settle(key, h, target);
      if (target.episode !== null) target.episode.timedOut++;
      else target.bTimedOut++;
    }
    const nowSec = Math.floor(this.now);
    for (const [key, t] of this.targets) {
      if (t.sec >= nowSec || t.swept === nowSec) break;
      this.closeSecond(t, ctx);
      if (t.episode !== null && nowSec - t.episode.lastHotSec > this.config.episodeGap) this.endEpisode(t, ctx);
      this.targets.delete(key);
      if (t.episode === null && t.open === 0) continue;
      t.swept = nowSec;
      this.targets.set(key, t);
    }
  }

  flush(ctx: DetectorContext): void {
    for (const t of this.targets.values()) {
      this.closeSecond(t, ctx);
      if (t.episode !== null) this.endEpisode(t, ctx);
    }
  }

  /** Live entries (tests, memory note). */
  get size(): { halfOpen: number; targets: number; sources: number } {
    let sources = 0;
    for (const t of this.targets.values()) sources += t.bSources.byName.size + (t.episode?.src.byName.size ?? 0);
    return { halfOpen: this.half.size, targets: this.targets.size, sources };
  }

  snapshot(): SynFloodState {
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      halfOpen: [...this.half.values()].map((h) => ({
        client: hostText(h.client),
        tip: hostText(h.tip),
        tport: h.tport,
        cport: h.cport,
        isn: h.isn,
        sec: h.sec,
        t: h.t,
        synAcked: h.synAcked,
      })),
      targets: [...this.targets.values()].map((t) => ({
        ip: hostText(t.ip),
        port: t.port,
        sec: t.sec,
        bSyn: t.bSyn,
        bCompleted: t.bCompleted,
        bSynAck: t.bSynAck,
        bRst: t.bRst,
        bTimedOut: t.bTimedOut,
        halfOpenSampledFrom: t.halfOpenSampledFrom,
        bFirst: t.bFirst,
        bFirstFrame: t.bFirstFrame,
        bLast: t.bLast,
        bLastFrame: t.bLastFrame,
        bSources: sourcesToState(t.bSources),
        open: t.open,
        swept: t.swept,
        episode: t.episode === null ? null : { ...t.episode, src: sourcesToState(t.episode.src) },
      })),
    };
  }

  restore(state: SynFloodState): void {
    this.now = state.now ?? -Infinity;
    this.nextSweep = state.nextSweep ?? -Infinity;
    this.targets = new Map();
    for (const x of state.targets) {
      const ip = hostFromText(x.ip);
      const key = endpointKey(ip, x.port);
      const t: Target = {
        ...x,
        key,
        ip,
        bSources: sourcesFromState(x.bSources),
        episode: x.episode === null ? null : { ...x.episode, src: sourcesFromState(x.episode.src) },
      };
      this.targets.set(key, t);
    }
    this.half = new Map();
    for (const x of state.halfOpen) {
      const ip = hostFromText(x.tip);
      const client = hostFromText(x.client);
      this.half.set(pairKey(0, ip, x.tport, client, x.cport), {
        target: endpointKey(ip, x.tport),
        tip: ip,
        tport: x.tport,
        client,
        cport: x.cport,
        isn: x.isn,
        sec: x.sec,
        t: x.t,
        synAcked: x.synAcked,
      });
    }
  }
}

function newTarget(key: number | string, ip: HostKey, port: number, sec: number): Target {
  return {
    key,
    ip,
    port,
    sec,
    bSyn: 0,
    bCompleted: 0,
    bSynAck: 0,
    bRst: 0,
    bTimedOut: 0,
    halfOpenSampledFrom: null,
    bFirst: 0,
    bFirstFrame: 0,
    bLast: 0,
    bLastFrame: 0,
    bSources: newSources(),
    open: 0,
    episode: null,
    swept: -1,
  };
}

function newSources(): Sources {
  return { byName: new Map(), sketch: null, sampledFrom: null };
}

function sourcesToState(s: Sources): SourcesState {
  return {
    byName: [...s.byName].map(([h, n]) => [hostText(h), n]),
    sketch: s.sketch === null ? null : Buffer.from(s.sketch).toString('base64'),
    sampledFrom: s.sampledFrom,
  };
}

function sourcesFromState(x: SourcesState): Sources {
  return {
    byName: new Map(x.byName.map(([h, n]) => [hostFromText(h), n])),
    sketch: x.sketch === null ? null : new Uint8Array(Buffer.from(x.sketch, 'base64')),
    sampledFrom: x.sampledFrom,
  };
}

function setBit(bits: Uint8Array, h: number): void {
  const i = h % (bits.length * 8);
  bits[i >>> 3] |= 1 << (i & 7);
}

/** Linear counting (Whang et al. 1990): n ≈ -m ln(zero bits / m). */
function estimate(bits: Uint8Array): number {
  const m = bits.length * 8;
  let zeros = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    for (let k = 0; k < 8; k++, b >>= 1) if ((b & 1) === 0) zeros++;
  }
  if (zeros === 0) return m; // saturated: at least this many
  return Math.round(-m * Math.log(zeros / m));
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0;
}
