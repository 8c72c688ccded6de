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
  srcHost,
} from '../decode/host-key';
import type { Detector, DetectorContext } from './detector';
import { PairTable, growFloat64, growUint32, growUint8 } from './pair-table';

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

interface HalfOpenState {
  client: string;
  tip: string;
  tport: number;
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

/**
 * Sources counted by name up to a cap, then by a linear-counting bitmap (all of them). Most
 * targets (every port a scan touches) only ever see one source: it is kept inline (`one`, `oneN`)
 * and the Map made when a second one arrives.
 */
interface Sources {
  byName: Map<HostKey, number> | null;
  one: HostKey | null;
  oneN: number;
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
  /** In `targets` (a half-open slot's reference to a target is only good while it is). */
  live: boolean;
  /** Bumped when a dead target is reused for another key: a slot's reference is good only for its generation. */
  gen: number;
}

const SPARE_TARGETS = 4096;
const SKETCH_BYTES = 2048; // 16384 bits: linear counting stays within ~1 % up to ~50 000 sources

export interface SynFloodState {
  now: number;
  nextSweep: number;
  halfOpen: HalfOpenState[];
  targets: Array<
    Omit<Target, 'key' | 'ip' | 'bSources' | 'episode' | 'live' | 'gen'> & {
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
  /**
   * Half-open handshakes (0, target ip, target port, client, client port), ordered by SYN time:
   * expiry and eviction take from the front. Per slot: ISN, second and time of the SYN, SYN-ACKed.
   */
  private half!: PairTable;
  private hIsn!: Uint32Array;
  private hSec!: Float64Array;
  private hTime!: Float64Array;
  private hSynAcked!: Uint8Array;
  /** The target a slot's SYN was counted on (saves a Map lookup by a boxed 48-bit key). */
  private hTarget!: Array<Target | null>;
  private hGen!: Uint32Array;
  /**
   * Targets that went idle with nothing open, for reuse: a scan makes one target per probed port
   * that lives about a second, long enough to survive a young-generation GC. Not state.
   */
  private spare: Target[] = [];
  /** Insertion-ordered by the last second a target saw a SYN. */
  private targets = new Map<number | string, Target>();

  constructor(private readonly config: SynFloodConfig) {
    this.resetHalfOpen();
  }

  private resetHalfOpen(): void {
    const cap = Math.min(4096, Math.max(16, this.config.maxHalfOpen));
    this.half = new PairTable(cap, (n) => {
      this.hIsn = growUint32(this.hIsn, n);
      this.hSec = growFloat64(this.hSec, n);
      this.hTime = growFloat64(this.hTime, n);
      this.hSynAcked = growUint8(this.hSynAcked, n);
      this.hGen = growUint32(this.hGen, n);
      for (let i = this.hTarget.length; i < n; i++) this.hTarget.push(null);
    });
    this.hIsn = new Uint32Array(cap);
    this.hSec = new Float64Array(cap);
    this.hTime = new Float64Array(cap);
    this.hSynAcked = new Uint8Array(cap);
    this.hGen = new Uint32Array(cap);
    this.hTarget = new Array<Target | null>(cap).fill(null);
  }

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
    // A packet from a client to a target with half-open handshakes: RST ends one, ACK completes it.
    if (this.half.size === 0 || (f & (TCP.RST | TCP.ACK)) === 0) return;
    const h =
      p.ipVersion === 4
        ? this.half.find4(0, p.dst4 >>> 0, p.dstPort, p.src4 >>> 0, p.srcPort)
        : this.half.find(0, dstHost(p), p.dstPort, srcHost(p), p.srcPort);
    if (h < 0) return;
    const target = this.targetOf(h);
    if (target === undefined || target.open === 0) return;
    if ((f & TCP.RST) !== 0) {
      this.settle(h, target);
      if (target.episode !== null) target.episode.clientRst++;
      else target.bRst++;
    } else if ((f & TCP.ACK) !== 0 && this.hSynAcked[h] !== 0 && p.tcpSeq >>> 0 === (this.hIsn[h] + 1) >>> 0) {
      const sec = this.hSec[h];
      this.settle(h, target);
      if (sec === target.sec) target.bCompleted++;
      if (target.episode !== null) target.episode.completed++;
    }
  }

  private onSyn(p: DecodedPacket, ctx: DetectorContext): void {
    const ip = dstHost(p);
    const tkey = endpointKey(ip, p.dstPort);
    const client = srcHost(p);
    const isn = p.tcpSeq >>> 0;
    const prev = this.half.find(0, ip, p.dstPort, client, p.srcPort);
    if (prev >= 0 && this.hIsn[prev] === isn) return; // retransmission: not a new handshake
    const sec = Math.floor(p.time);
    let target = this.targets.get(tkey);
    if (target === undefined) {
      if (this.targets.size >= this.config.maxTargets) this.evictTarget(ctx);
      target =
        this.spare.length > 0
          ? reuseTarget(this.spare.pop()!, tkey, ip, p.dstPort, sec)
          : newTarget(tkey, ip, p.dstPort, sec);
      this.targets.set(tkey, target);
    }
    if (prev >= 0) this.settle(prev, target);
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
    const h = this.half.add(0, ip, p.dstPort, client, p.srcPort);
    this.hIsn[h] = isn;
    this.hSec[h] = sec;
    this.hTime[h] = p.time;
    this.hSynAcked[h] = 0;
    this.hTarget[h] = target;
    this.hGen[h] = target.gen;
    target.open++;
  }

  private onSynAck(p: DecodedPacket): void {
    if (this.half.size === 0) return;
    const h =
      p.ipVersion === 4
        ? this.half.find4(0, p.src4 >>> 0, p.srcPort, p.dst4 >>> 0, p.dstPort)
        : this.half.find(0, srcHost(p), p.srcPort, dstHost(p), p.dstPort);
    if (h < 0) return;
    const target = this.targetOf(h);
    if (target === undefined || target.open === 0) return;
    if (this.hSynAcked[h] !== 0 || p.tcpAck >>> 0 !== (this.hIsn[h] + 1) >>> 0) return;
    this.hSynAcked[h] = 1;
    if (target.episode !== null) target.episode.synAck++;
    else target.bSynAck++;
  }

  private countSource(s: Sources, client: HostKey, frame: number): void {
    let byName = s.byName;
    if (byName === null) {
      if (s.one === client) {
        s.oneN++;
        return;
      }
      if (s.one === null && this.config.maxSourcesPerEpisode >= 1 && s.sketch === null) {
        s.one = client;
        s.oneN = 1;
        return;
      }
      byName = namesOf(s);
    }
    const n = byName.get(client);
    if (n !== undefined) {
      byName.set(client, n + 1);
      return;
    }
    if (byName.size < this.config.maxSourcesPerEpisode) {
      byName.set(client, 1);
      if (s.sketch !== null) setBit(s.sketch, hashHost(client));
      return;
    }
    if (s.sketch === null) {
      s.sketch = new Uint8Array(SKETCH_BYTES);
      for (const h of byName.keys()) setBit(s.sketch, hashHost(h));
      s.sampledFrom = frame;
    }
    setBit(s.sketch, hashHost(client));
  }

  private settle(h: number, target: Target): void {
    this.removeHalf(h);
    if (target.open > 0) target.open--;
  }

  private removeHalf(h: number): void {
    this.half.remove(h);
    this.hTarget[h] = null;
  }

  /** The target a half-open slot belongs to (looked up by key: it may have been replaced since). */
  private targetOf(h: number): Target | undefined {
    const t = this.hTarget[h];
    if (t !== null && t.live && t.gen === this.hGen[h]) return t;
    // Gone (or restored from a snapshot): whichever target now has the key, as a Map lookup would.
    const ip = this.half.aHost(h);
    const port = this.half.aPort(h);
    const found = this.targets.get(typeof ip === 'number' ? ip * 65536 + port : endpointKey(ip, port));
    this.hTarget[h] = found ?? null;
    if (found !== undefined) this.hGen[h] = found.gen;
    return found;
  }

  /** The table is full: the oldest eighth expires early, in one pass (one at a time from a Map's front is quadratic). */
  private evictHalfOpen(frame: number): void {
    let n = Math.max(1, this.config.maxHalfOpen >> 3);
    const H = this.half;
    for (let h = H.head, next = -1; h !== -1; h = next) {
      next = H.next[h];
      const target = this.targetOf(h);
      if (target !== undefined) {
        this.settle(h, target);
        const e = target.episode;
        if (target.halfOpenSampledFrom === null) target.halfOpenSampledFrom = frame;
        if (e !== null) {
          e.timedOut++;
          if (e.halfOpenSampledFrom === null) e.halfOpenSampledFrom = frame;
        } else target.bTimedOut++;
      } else this.removeHalf(h);
      if (--n === 0) return;
    }
  }

  private evictTarget(ctx: DetectorContext): void {
    for (const [key, t] of this.targets) {
      this.closeSecond(t, ctx);
      if (t.episode !== null) this.endEpisode(t, ctx);
      this.targets.delete(key);
      t.live = false;
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
    const b = t.bSources;
    if (sourceCount(b) > 0) {
      // Not handed to an episode (that took it above): clear it in place.
      b.byName = null;
      b.one = null;
      b.oneN = 0;
      b.sketch = null;
      b.sampledFrom = null;
    }
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
    const entries = sourceEntries(e.src);
    const top = entries
      .sort((a, b) => b[1] - a[1] || compareHosts(a[0], b[0]))
      .slice(0, c.topSources)
      .map(([h, n]) => ({ ip: hostText(h), syns: n }));
    const named = sourceCount(e.src);
    const distinct = e.src.sketch === null ? named : estimate(e.src.sketch);
    const approx = e.src.sketch !== null;
    const only = named === 1 && !approx ? hostText(sourceEntries(e.src)[0][0]) : undefined;
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
    const H = this.half;
    for (let h = H.head, next = -1; h !== -1; h = next) {
      if (this.hTime[h] > limit) break;
      next = H.next[h];
      const target = this.targetOf(h);
      if (target === undefined) {
        this.removeHalf(h);
        continue;
      }
      this.settle(h, target);
      if (target.episode !== null) target.episode.timedOut++;
      else target.bTimedOut++;
    }
    const nowSec = Math.floor(this.now);
    for (const [key, t] of this.targets) {
      if (t.sec >= nowSec || t.swept === nowSec) break;
      this.closeSecond(t, ctx);
      if (t.episode !== null && nowSec - t.episode.lastHotSec > this.config.episodeGap) this.endEpisode(t, ctx);
      this.targets.delete(key);
      if (t.episode === null && t.open === 0) {
        t.live = false;
        if (this.spare.length < SPARE_TARGETS) this.spare.push(t);
        continue;
      }
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
    for (const t of this.targets.values())
      sources += sourceCount(t.bSources) + (t.episode === null ? 0 : sourceCount(t.episode.src));
    return { halfOpen: this.half.size, targets: this.targets.size, sources };
  }

  snapshot(): SynFloodState {
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      halfOpen: this.halfOpenStates(),
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
        live: true,
        gen: 0,
      };
      this.targets.set(key, t);
    }
    this.resetHalfOpen();
    for (const x of state.halfOpen) {
      const h = this.half.add(0, hostFromText(x.tip), x.tport, hostFromText(x.client), x.cport);
      this.hIsn[h] = x.isn;
      this.hSec[h] = x.sec;
      this.hTime[h] = x.t;
      this.hSynAcked[h] = x.synAcked ? 1 : 0;
    }
  }

  private halfOpenStates(): HalfOpenState[] {
    const out: HalfOpenState[] = [];
    const H = this.half;
    for (let h = H.head; h !== -1; h = H.next[h]) {
      out.push({
        client: hostText(H.bHost(h)),
        tip: hostText(H.aHost(h)),
        tport: H.aPort(h),
        cport: H.bPort(h),
        isn: this.hIsn[h],
        sec: this.hSec[h],
        t: this.hTime[h],
        synAcked: this.hSynAcked[h] !== 0,
      });
    }
    return out;
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
    live: true,
    gen: 0,
  };
}

/** A dead target (idle, nothing open, no episode, its second's sources cleared) made new for `key`. */
function reuseTarget(t: Target, key: number | string, ip: HostKey, port: number, sec: number): Target {
  t.key = key;
  t.ip = ip;
  t.port = port;
  t.sec = sec;
  t.bSyn = 0;
  t.bCompleted = 0;
  t.bSynAck = 0;
  t.bRst = 0;
  t.bTimedOut = 0;
  t.halfOpenSampledFrom = null;
  t.bFirst = 0;
  t.bFirstFrame = 0;
  t.bLast = 0;
  t.bLastFrame = 0;
  const b = t.bSources;
  b.byName = null;
  b.one = null;
  b.oneN = 0;
  b.sketch = null;
  b.sampledFrom = null;
  t.open = 0;
  t.episode = null;
  t.swept = -1;
  t.live = true;
  t.gen = (t.gen + 1) >>> 0;
  return t;
}

function newSources(): Sources {
  return { byName: null, one: null, oneN: 0, sketch: null, sampledFrom: null };
}

function sourceCount(s: Sources): number {
  return s.byName !== null ? s.byName.size : s.one !== null ? 1 : 0;
}

/** The sources as a Map (made from the inline one on first need), in first-seen order. */
function namesOf(s: Sources): Map<HostKey, number> {
  if (s.byName === null) {
    s.byName = new Map();
    if (s.one !== null) s.byName.set(s.one, s.oneN);
    s.one = null;
    s.oneN = 0;
  }
  return s.byName;
}

/** A fresh array of [source, SYNs] in first-seen order (callers may sort it). */
function sourceEntries(s: Sources): Array<[HostKey, number]> {
  if (s.byName !== null) return [...s.byName];
  return s.one !== null ? [[s.one, s.oneN]] : [];
}

function sourcesToState(s: Sources): SourcesState {
  return {
    byName: sourceEntries(s).map(([h, n]) => [hostText(h), n]),
    sketch: s.sketch === null ? null : Buffer.from(s.sketch).toString('base64'),
    sampledFrom: s.sampledFrom,
  };
}

function sourcesFromState(x: SourcesState): Sources {
  return {
    byName: new Map(x.byName.map(([h, n]) => [hostFromText(h), n])),
    one: null,
    oneN: 0,
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
