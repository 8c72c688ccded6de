import type { PortScanConfig } from '../config';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import {
  HostKey,
  compareHosts,
  dstHost,
  endpointKey,
  hostFromText,
  hostText,
  isGroupHost,
  srcHost,
} from '../decode/host-key';
import { newIcmpQuote, readIcmpQuote } from '../decode/icmp-quote';
import type { Detector, DetectorContext } from './detector';
import { PairTable, growFloat64, growUint32, growUint8 } from './pair-table';

/**
 * Port scans (vertical, horizontal, block) and host sweeps (ICMP echo, ARP), after Zeek's scan
 * policy: only attempts that FAILED count — rejected (RST, ICMP unreachable), unanswered within
 * `attemptTimeout`, or torn down by the prober right after the handshake without sending a byte
 * — so a busy client that talks to many servers is not a scanner.
 *
 * Technique, from the probes and how the prober ends a handshake:
 *   SYN     half-open: SYN, SYN-ACK answered by a RST without ACK (or closed ports' RST-ACK only)
 *   connect full handshake, then RST-ACK / FIN from the prober with no data sent
 *   FIN, NULL, XMAS (FIN+PSH+URG): answered by RST-ACK (closed) or unanswered (open|filtered)
 *   Maimon (FIN+ACK), ACK: answered by a bare RST whose seq is the probe's ack (RFC 9293 §3.10.7.1)
 *   UDP     empty / near-empty datagrams unanswered, or answered by ICMP port unreachable
 *   ICMP echo / ARP host sweeps: distinct hosts asked (answers name the live ones)
 *
 * One finding per scanner per window (`interval`), updated (count, ports, targets, technique).
 * State is bounded: pending probes, scanners and (target, port) pairs per scanner are capped,
 * and everything expires by packet time.
 */

const T_TCP = 1;
const T_UDP = 2;

type Technique = 'SYN' | 'connect' | 'FIN' | 'NULL' | 'XMAS' | 'Maimon' | 'ACK' | 'UDP';
type Probe = 'SYN' | 'FIN' | 'NULL' | 'XMAS' | 'UDP';
/** Probe codes in the attempt table's column (index into PROBES). */
const PROBES: readonly Probe[] = ['SYN', 'FIN', 'NULL', 'XMAS', 'UDP'];
const P_SYN = 0;
const P_FIN = 1;
const P_NULL = 2;
const P_XMAS = 3;
const P_UDP = 4;

interface Scanner {
  host: HostKey;
  windowStart: number;
  first: number;
  last: number;
  lastFrame: number;
  /**
   * Failed (target, port) pairs as endpoint keys, in first-failure order. Counts, not a Set per
   * target and per port: a vertical scan of 1000 ports made 1000 one-entry Sets, all promoted.
   */
  pairSet: Set<number | string>;
  /** Distinct failed ports per target. */
  targets: Map<HostKey, number>;
  /** Distinct failed targets per port. */
  ports: Map<number, number>;
  pairs: number;
  attempts: number;
  techniques: Partial<Record<Technique, number>>;
  /** Ports per target that answered SYN-ACK. */
  open: Map<HostKey, Set<number>>;
  openCount: number;
  /** Handshakes the prober left half-open (RST without ACK after the SYN-ACK). */
  halfOpen: number;
  sampledFrom: number | null;
  reportedAttempts: number;
  /** Evidence frames of failed attempts (one each), the first MAX_LISTED_FRAMES; `attempts` counts them all. */
  frames: number[];
  framesReported: number;
  // host sweep
  swept: Map<'ICMP echo' | 'ARP', Set<HostKey>>;
  live: Set<HostKey>;
  sweepProbes: number;
  sweepFirst: number;
  sweepLast: number;
  sweepLastFrame: number;
  reportedSweep: number;
  /** The sweep's evidence: one frame per host asked (the first MAX_LISTED_FRAMES); `sweepProbes` counts them all. */
  sweepFrames: number[];
  sweepFramesReported: number;
}

/**
 * Evidence frames a scanner keeps for its findings. The finding store lists at most
 * maxEvidenceFrames (default 50) of them; these are kept so that a report at 2x attempts can
 * still name the frames of the attempts since the previous one.
 */
const MAX_LISTED_FRAMES = 64;

interface AttemptState {
  tcp: boolean;
  scanner: string;
  target: string;
  sport: number;
  dport: number;
  probe: Probe;
  state: 0 | 1;
  isn: number;
  t: number;
  frame: number;
}

interface ScannerState {
  host: string;
  windowStart: number;
  first: number;
  last: number;
  lastFrame: number;
  targets: Array<[string, number[]]>;
  pairs: number;
  attempts: number;
  techniques: Partial<Record<Technique, number>>;
  open: Array<[string, number[]]>;
  halfOpen: number;
  sampledFrom: number | null;
  reportedAttempts: number;
  /** Absent in state saved before evidence frames were kept per attempt. */
  frames?: number[];
  framesReported?: number;
  swept: Array<['ICMP echo' | 'ARP', string[]]>;
  live: string[];
  sweepProbes: number;
  sweepFirst: number;
  sweepLast: number;
  sweepLastFrame: number;
  reportedSweep: number;
  sweepFrames?: number[];
  sweepFramesReported?: number;
}

export interface PortScanState {
  now: number;
  nextSweep: number;
  attempts: AttemptState[];
  scanners: ScannerState[];
  /** Recent ACK-bearing segments (IPv4) a bare RST may answer: [slot, src, dst, ports, ack, flags, time, frame]. */
  ackProbes: number[][];
}

/** Slots of the ACK-probe table: a fixed-size open hash, no allocation per packet. */
const ACK_SLOTS = 4096;
const MAX_SAMPLE_PORTS = 50;
const MAX_SAMPLE_HOSTS = 20;

export class PortScanDetector implements Detector<PortScanState> {
  readonly id = 'port-scan';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /**
   * Pending probes: (T_TCP | T_UDP, scanner, sport, target, dport), ordered by the time of the last
   * state change, so expiry stops at the first young entry. Per slot: probe code, state (0 sent,
   * 1 answered by SYN-ACK: open, waiting for how the prober ends it), ISN, time, frame.
   */
  private attempts!: PairTable;
  private aProbe!: Uint8Array;
  private aState!: Uint8Array;
  private aIsn!: Uint32Array;
  private aTime!: Float64Array;
  private aFrame!: Float64Array;
  /** Attempts in state 1 (SYN-ACK seen): only then must a prober's FIN be looked up. */
  private openAttempts = 0;
  /** Pending UDP probes per prober: a UDP packet is looked up only when its destination has some. */
  private udpProbers = new Map<HostKey, number>();
  /** Insertion-ordered by window start. */
  private scanners = new Map<HostKey, Scanner>();
  /** The scanner last looked up (a scan's replies arrive in runs): a cache of `scanners`, not state. */
  private lastScanner: Scanner | null = null;
  private readonly quote = newIcmpQuote();
  private readonly ackSrc = new Uint32Array(ACK_SLOTS);
  private readonly ackDst = new Uint32Array(ACK_SLOTS);
  private readonly ackPorts = new Uint32Array(ACK_SLOTS);
  private readonly ackAck = new Uint32Array(ACK_SLOTS);
  private readonly ackFlags = new Uint8Array(ACK_SLOTS);
  private readonly ackTime = new Float64Array(ACK_SLOTS).fill(-Infinity);
  private readonly ackFrame = new Float64Array(ACK_SLOTS);

  constructor(private readonly config: PortScanConfig) {
    this.resetAttempts();
  }

  private resetAttempts(): void {
    const cap = Math.min(4096, Math.max(16, this.config.maxPendingAttempts));
    this.attempts = new PairTable(cap, (n) => {
      this.aProbe = growUint8(this.aProbe, n);
      this.aState = growUint8(this.aState, n);
      this.aIsn = growUint32(this.aIsn, n);
      this.aTime = growFloat64(this.aTime, n);
      this.aFrame = growFloat64(this.aFrame, n);
    });
    this.aProbe = new Uint8Array(cap);
    this.aState = new Uint8Array(cap);
    this.aIsn = new Uint32Array(cap);
    this.aTime = new Float64Array(cap);
    this.aFrame = new Float64Array(cap);
    this.openAttempts = 0;
    this.udpProbers = new Map();
  }

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (!p.linkKnown || p.malformed !== null) return;
    const t = p.time;
    if (t > this.now) this.now = t;
    if (this.now >= this.nextSweep) {
      this.expire(ctx);
      this.nextSweep = this.now + 1;
    }
    if (p.isArp) {
      this.onArp(p, ctx);
      return;
    }
    if (p.ipVersion === 0 || p.l4Off < 0 || p.isFragment) return;
    const proto = p.ipProto;
    if (proto === 6) this.onTcp(p, ctx);
    else if (proto === 17) this.onUdp(p, ctx);
    else if (proto === 1 || proto === 58) this.onIcmp(p, ctx);
  }

  // ---- TCP ----------------------------------------------------------------------------------

  private onTcp(p: DecodedPacket, ctx: DetectorContext): void {
    const f = p.tcpFlags & 0x3f;
    if ((f & TCP.SYN) !== 0) {
      if ((f & (TCP.RST | TCP.FIN)) !== 0) return; // invalid combinations: packet-anomaly's
      if ((f & TCP.ACK) === 0) this.probe(p, P_SYN, T_TCP, ctx);
      else this.onSynAck(p);
      return;
    }
    if ((f & TCP.RST) !== 0) {
      this.onRst(p, f, ctx);
      return;
    }
    if (f === 0) this.probe(p, P_NULL, T_TCP, ctx);
    else if (f === TCP.FIN) this.probe(p, P_FIN, T_TCP, ctx);
    else if (f === (TCP.FIN | TCP.PSH | TCP.URG)) this.probe(p, P_XMAS, T_TCP, ctx);
    else if ((f === TCP.ACK || f === (TCP.FIN | TCP.ACK)) && p.payloadLen === 0) {
      if (f === (TCP.FIN | TCP.ACK) && this.openAttempts > 0) this.onProberFin(p, ctx);
      if (p.ipVersion === 4) this.rememberAckProbe(p, f);
    }
  }

  private probe(p: DecodedPacket, probe: number, tag: number, ctx: DetectorContext): void {
    const scanner = srcHost(p);
    const target = dstHost(p);
    if (isGroupHost(target)) return;
    const sport = p.srcPort;
    const dport = p.dstPort;
    const A = this.attempts;
    let s = A.find(tag, scanner, sport, target, dport);
    if (s >= 0) {
      if (this.aState[s] === 0 && this.aProbe[s] === probe) return; // retransmission
      this.drop(s);
    }
    if (A.size >= this.config.maxPendingAttempts) this.evictOldestAttempt(ctx);
    s = A.add(tag, scanner, sport, target, dport);
    this.aProbe[s] = probe;
    this.aState[s] = 0;
    this.aIsn[s] = p.tcpSeq >>> 0;
    this.aTime[s] = p.time;
    this.aFrame[s] = p.frame;
    if (tag === T_UDP) this.udpProbers.set(scanner, (this.udpProbers.get(scanner) ?? 0) + 1);
  }

  private onSynAck(p: DecodedPacket): void {
    if (this.attempts.size === 0) return;
    const s = this.attempts.find(T_TCP, dstHost(p), p.dstPort, srcHost(p), p.srcPort);
    if (s < 0 || this.aState[s] !== 0 || this.aProbe[s] !== P_SYN) return;
    if (p.tcpAck >>> 0 !== (this.aIsn[s] + 1) >>> 0) return;
    // Move to the back: its timeout now runs from the SYN-ACK.
    this.attempts.moveToBack(s);
    this.aState[s] = 1;
    this.aTime[s] = p.time;
    this.openAttempts++;
  }

  private onRst(p: DecodedPacket, f: number, ctx: DetectorContext): void {
    const A = this.attempts;
    if (A.size > 0) {
      // From the target: the probe was rejected.
      const s = A.find(T_TCP, dstHost(p), p.dstPort, srcHost(p), p.srcPort);
      if (s >= 0 && this.aState[s] === 0) {
        const scanner = A.aHost(s);
        const target = A.bHost(s);
        const dport = A.bPort(s);
        const probe = PROBES[this.aProbe[s]];
        this.drop(s);
        this.failed(scanner, target, dport, probe, p.time, p.frame, ctx);
        return;
      }
      // From the prober, right after the SYN-ACK: half-open (bare RST) or connect (RST-ACK).
      const b = A.find(T_TCP, srcHost(p), p.srcPort, dstHost(p), p.dstPort);
      if (b >= 0) {
        const open = this.aState[b] === 1 && p.tcpSeq >>> 0 === (this.aIsn[b] + 1) >>> 0;
        const scanner = A.aHost(b);
        const target = A.bHost(b);
        const dport = A.bPort(b);
        this.drop(b);
        if (open) {
          const tech: Technique = (f & TCP.ACK) !== 0 ? 'connect' : 'SYN';
          this.failed(scanner, target, dport, tech, p.time, p.frame, ctx, true);
        }
        return;
      }
    }
    // A bare RST answering an ACK-bearing segment: ACK or Maimon probe (IPv4 only).
    if (f === TCP.RST && p.ipVersion === 4) {
      const slot = ackSlot(p.dst4 >>> 0, p.src4 >>> 0, p.dstPort, p.srcPort);
      if (
        this.ackSrc[slot] === p.dst4 >>> 0 &&
        this.ackDst[slot] === p.src4 >>> 0 &&
        this.ackPorts[slot] === ((p.dstPort << 16) | p.srcPort) >>> 0 &&
        this.ackAck[slot] === p.tcpSeq >>> 0 &&
        p.time - this.ackTime[slot] <= this.config.attemptTimeout
      ) {
        const tech: Technique = this.ackFlags[slot] & TCP.FIN ? 'Maimon' : 'ACK';
        this.ackTime[slot] = -Infinity;
        this.failed(p.dst4 >>> 0, p.src4 >>> 0, p.srcPort, tech, p.time, p.frame, ctx);
      }
    }
  }

  private onProberFin(p: DecodedPacket, ctx: DetectorContext): void {
    const A = this.attempts;
    const b = A.find(T_TCP, srcHost(p), p.srcPort, dstHost(p), p.dstPort);
    if (b < 0 || this.aState[b] !== 1) return;
    const ok = p.tcpSeq >>> 0 === (this.aIsn[b] + 1) >>> 0;
    const scanner = A.aHost(b);
    const target = A.bHost(b);
    const dport = A.bPort(b);
    this.drop(b);
    if (ok) this.failed(scanner, target, dport, 'connect', p.time, p.frame, ctx, true);
  }

  private rememberAckProbe(p: DecodedPacket, f: number): void {
    const s = p.src4 >>> 0;
    const d = p.dst4 >>> 0;
    const slot = ackSlot(s, d, p.srcPort, p.dstPort);
    this.ackSrc[slot] = s;
    this.ackDst[slot] = d;
    this.ackPorts[slot] = ((p.srcPort << 16) | p.dstPort) >>> 0;
    this.ackAck[slot] = p.tcpAck >>> 0;
    this.ackFlags[slot] = f;
    this.ackTime[slot] = p.time;
    this.ackFrame[slot] = p.frame;
  }

  // ---- UDP and ICMP -------------------------------------------------------------------------

  private onUdp(p: DecodedPacket, ctx: DetectorContext): void {
    if (this.udpProbers.size > 0) {
      const to = dstHost(p);
      if (this.udpProbers.has(to)) {
        const s = this.attempts.find(T_UDP, to, p.dstPort, srcHost(p), p.srcPort);
        if (s >= 0) {
          this.drop(s); // answered: the port is open, not a failure
          return;
        }
      }
    }
    if (p.payloadLen <= this.config.udpProbeMaxPayload) this.probe(p, P_UDP, T_UDP, ctx);
  }

  private onIcmp(p: DecodedPacket, ctx: DetectorContext): void {
    const type = p.icmpType;
    const v4 = p.ipProto === 1;
    if ((v4 && type === 8) || (!v4 && type === 128)) {
      const target = dstHost(p);
      if (!isGroupHost(target)) this.swept(srcHost(p), 'ICMP echo', target, p, ctx);
      return;
    }
    if ((v4 && type === 0) || (!v4 && type === 129)) {
      const s = this.scanners.get(dstHost(p));
      if (s !== undefined && s.swept.size > 0) s.live.add(srcHost(p));
      return;
    }
    if ((v4 && type !== 3) || (!v4 && type !== 1)) return;
    const q = this.quote;
    if (!readIcmpQuote(p, q) || q.srcPort < 0) return;
    if (q.proto !== 6 && q.proto !== 17) return;
    const scanner: HostKey = q.ipVersion === 4 ? q.src4 : q.src6;
    const target: HostKey = q.ipVersion === 4 ? q.dst4 : q.dst6;
    const s = this.attempts.find(q.proto === 6 ? T_TCP : T_UDP, scanner, q.srcPort, target, q.dstPort);
    if (s >= 0) {
      if (this.aState[s] !== 0) return;
      const probe = PROBES[this.aProbe[s]];
      this.drop(s);
      this.failed(scanner, target, q.dstPort, probe, p.time, p.frame, ctx);
      return;
    }
    // An untracked UDP probe (one with a payload, e.g. nmap's DNS or DHCP probes) from an
    // ephemeral port. A reply from a well-known port (a DNS answer to a client gone away) is not one.
    if (q.proto === 17 && q.srcPort >= 1024 && !isGroupHost(target)) {
      this.failed(scanner, target, q.dstPort, 'UDP', p.time, p.frame, ctx);
    }
  }

  private onArp(p: DecodedPacket, ctx: DetectorContext): void {
    const sender = p.arpSenderIp >>> 0;
    const target = p.arpTargetIp >>> 0;
    if (p.arpOp === 1) {
      // ARP probes (sender 0.0.0.0, RFC 5227) and gratuitous ARP announce, they don't sweep.
      if (sender === 0 || sender === target) return;
      this.swept(sender, 'ARP', target, p, ctx);
    } else if (p.arpOp === 2) {
      const s = this.scanners.get(target);
      if (s !== undefined && s.swept.size > 0) s.live.add(sender);
    }
  }

  // ---- attempts -----------------------------------------------------------------------------

  private drop(s: number): void {
    if (this.aState[s] === 1) this.openAttempts--;
    if (this.attempts.tag(s) !== T_TCP) {
      const scanner = this.attempts.aHost(s);
      const n = (this.udpProbers.get(scanner) ?? 1) - 1;
      if (n <= 0) this.udpProbers.delete(scanner);
      else this.udpProbers.set(scanner, n);
    }
    this.attempts.remove(s);
  }

  /** The attempt's timeout ran out (or the capture ended): unanswered probes failed. */
  private timedOut(s: number, ctx: DetectorContext): void {
    const A = this.attempts;
    if (this.aState[s] !== 0) {
      this.drop(s);
      return;
    }
    const scanner = A.aHost(s);
    const target = A.bHost(s);
    const dport = A.bPort(s);
    const probe = PROBES[this.aProbe[s]];
    const t = this.aTime[s];
    const frame = this.aFrame[s];
    this.drop(s);
    this.failed(scanner, target, dport, probe, t, frame, ctx);
  }

  /**
   * The table is full: the oldest eighth of the probes are settled now as if their timeout had run
   * out (in one pass: evicting one at a time from a Map's front is quadratic).
   */
  private evictOldestAttempt(ctx: DetectorContext): void {
    let n = Math.max(1, this.config.maxPendingAttempts >> 3);
    const A = this.attempts;
    for (let s = A.head, next = -1; s !== -1; s = next) {
      next = A.next[s];
      this.timedOut(s, ctx);
      if (--n === 0) return;
    }
  }

  private expire(ctx: DetectorContext): void {
    const limit = this.now - this.config.attemptTimeout;
    const A = this.attempts;
    for (let s = A.head, next = -1; s !== -1; s = next) {
      if (this.aTime[s] > limit) break;
      next = A.next[s];
      this.timedOut(s, ctx);
    }
    const end = this.now - this.config.interval;
    for (const [host, s] of this.scanners) {
      if (s.windowStart > end) break;
      this.close(host, s, ctx);
    }
  }

  // ---- scanners -----------------------------------------------------------------------------

  private scanner(host: HostKey, time: number, frame: number, ctx: DetectorContext): Scanner {
    const last = this.lastScanner;
    let s = last !== null && last.host === host ? last : this.scanners.get(host);
    if (s !== undefined && time - s.windowStart >= this.config.interval) {
      this.close(host, s, ctx);
      s = undefined;
    }
    if (s === undefined) {
      if (this.scanners.size >= this.config.maxScanners) {
        for (const [h, old] of this.scanners) {
          this.close(h, old, ctx);
          break;
        }
      }
      s = newScanner(host, time, frame);
      this.scanners.set(host, s);
    }
    this.lastScanner = s;
    return s;
  }

  private failed(
    scannerHost: HostKey,
    target: HostKey,
    port: number,
    tech: Technique,
    time: number,
    frame: number,
    ctx: DetectorContext,
    open = false,
  ): void {
    const s = this.scanner(scannerHost, time, frame, ctx);
    s.attempts++;
    // The frame that settled the attempt: the rejection (RST, ICMP unreachable), the prober's
    // teardown, or the probe itself when nothing answered. One per attempt, so framesTotal = count.
    if (s.frames.length < MAX_LISTED_FRAMES) s.frames.push(frame);
    s.techniques[tech] = (s.techniques[tech] ?? 0) + 1;
    if (time > s.last) {
      s.last = time;
      s.lastFrame = frame;
    }
    if (time < s.first) s.first = time;
    if (open) {
      if (tech === 'SYN') s.halfOpen++;
      let set = s.open.get(target);
      if (set === undefined) {
        set = new Set();
        s.open.set(target, set);
      }
      if (!set.has(port) && s.openCount < this.config.maxPairsPerScanner) {
        set.add(port);
        s.openCount++;
      }
    }
    const pair = endpointKey(target, port);
    let nPorts = 0;
    let nHosts = 0;
    if (!s.pairSet.has(pair)) {
      if (s.pairs >= this.config.maxPairsPerScanner) {
        if (s.sampledFrom === null) s.sampledFrom = frame;
      } else {
        s.pairSet.add(pair);
        nPorts = (s.targets.get(target) ?? 0) + 1;
        s.targets.set(target, nPorts);
        nHosts = (s.ports.get(port) ?? 0) + 1;
        s.ports.set(port, nHosts);
        s.pairs++;
      }
    }
    if (s.reportedAttempts === 0) {
      // Only a new (target, port) pair can cross a threshold: check the counts it grew.
      if (nPorts > 0 && this.isScan(s, nPorts, nHosts)) this.reportScan(s, frame, ctx);
    } else if (s.attempts >= 2 * s.reportedAttempts) {
      this.reportScan(s, frame, ctx);
    }
  }

  private swept(
    scannerHost: HostKey,
    how: 'ICMP echo' | 'ARP',
    target: HostKey,
    p: DecodedPacket,
    ctx: DetectorContext,
  ): void {
    const s = this.scanner(scannerHost, p.time, p.frame, ctx);
    let set = s.swept.get(how);
    if (set === undefined) {
      set = new Set();
      s.swept.set(how, set);
    }
    if (set.has(target)) return;
    if (set.size >= this.config.maxPairsPerScanner) {
      if (s.sampledFrom === null) s.sampledFrom = p.frame;
    } else set.add(target);
    s.sweepProbes++;
    if (s.sweepFrames.length < MAX_LISTED_FRAMES) s.sweepFrames.push(p.frame);
    if (s.sweepProbes === 1) s.sweepFirst = p.time;
    s.sweepLast = p.time;
    s.sweepLastFrame = p.frame;
    if (s.reportedSweep === 0) {
      if (set.size >= this.config.addrScanThreshold) this.reportSweep(s, p.frame, ctx);
    } else if (s.sweepProbes >= 2 * s.reportedSweep) this.reportSweep(s, p.frame, ctx);
  }

  private isScan(s: Scanner, ports: number, hosts: number): boolean {
    const c = this.config;
    if (ports >= c.portScanThreshold || hosts >= c.addrScanThreshold) return true;
    return s.targets.size >= c.blockScanHosts && s.ports.size >= c.blockScanPorts && s.pairs >= c.portScanThreshold;
  }

  private close(host: HostKey, s: Scanner, ctx: DetectorContext): void {
    this.scanners.delete(host);
    if (this.lastScanner === s) this.lastScanner = null;
    if (s.reportedAttempts > 0 && s.attempts > s.reportedAttempts) this.reportScan(s, s.lastFrame, ctx);
    if (s.reportedSweep > 0 && s.sweepProbes > s.reportedSweep) this.reportSweep(s, s.sweepLastFrame, ctx);
  }

  private reportScan(s: Scanner, frame: number, ctx: DetectorContext): void {
    s.reportedAttempts = s.attempts;
    const newFrames = s.frames.slice(s.framesReported);
    s.framesReported = s.frames.length;
    const c = this.config;
    const scanner = hostText(s.host);
    // Reports repeat as a scan grows: only the samples are sorted, not every target and port.
    const targetCount = s.targets.size;
    const portCount = s.ports.size;
    const targets = smallest(s.targets.keys(), MAX_SAMPLE_HOSTS, compareHosts);
    const ports = smallest(s.ports.keys(), MAX_SAMPLE_PORTS, comparePorts);
    const kind = targetCount < c.blockScanHosts ? 'vertical' : portCount < c.blockScanPorts ? 'horizontal' : 'block';
    const technique = dominant(s.techniques, s.halfOpen);
    const single = targetCount === 1 ? hostText(targets[0]) : undefined;
    const open = smallestOpen(s.open, MAX_SAMPLE_PORTS);
    const openCount = s.openCount;
    const openText = open.map((o) => (single ? String(o.port) : `${hostText(o.host)}:${o.port}`));
    const what =
      kind === 'vertical'
        ? `${portCount} ports of ${targets.slice(0, 3).map(hostText).join(', ')}${targetCount > 3 ? ', …' : ''}`
        : kind === 'horizontal'
          ? `${targetCount} hosts on port${portCount > 1 ? 's' : ''} ${ports.slice(0, 4).join(', ')}${portCount > 4 ? ', …' : ''}`
          : `${portCount} ports on ${targetCount} hosts`;
    ctx.report({
      key: `scan|${scanner}|${s.windowStart}`,
      type: 'port-scan',
      severity: 'medium',
      mitre: 'T1046',
      title: `${technique} ${kind} port scan from ${scanner}: ${what}`,
      description:
        `${scanner} made ${s.attempts} failed connection attempts (rejected, unanswered, or torn down right after the handshake) ` +
        `to ${portCount} distinct ports on ${targetCount} host${targetCount === 1 ? '' : 's'} within ${c.interval} s. ` +
        (openCount
          ? `Ports that answered (open): ${openText.join(', ')}${openCount > openText.length ? ', …' : ''}. `
          : '') +
        (s.sampledFrom !== null
          ? `More than ${c.maxPairsPerScanner} distinct (host, port) pairs: further ones are counted but not itemised from frame ${s.sampledFrom}. `
          : '') +
        'Thresholds after Zeek\u2019s scan policy (port_scan_threshold, addr_scan_threshold).',
      time: s.last,
      frame,
      frames: newFrames,
      framesTotal: s.attempts,
      count: s.attempts,
      src: { ip: scanner },
      ...(single ? { dst: { ip: single } } : {}),
      details: {
        kind,
        technique,
        techniques: { ...s.techniques },
        attempts: s.attempts,
        windowStart: s.windowStart,
        ports: { count: portCount, sample: ports },
        targets: { count: targetCount, sample: targets.map(hostText) },
        openPorts: openText,
        ...(s.sampledFrom !== null ? { sampledFromFrame: s.sampledFrom } : {}),
      },
    });
  }

  private reportSweep(s: Scanner, frame: number, ctx: DetectorContext): void {
    s.reportedSweep = s.sweepProbes;
    const newFrames = s.sweepFrames.slice(s.sweepFramesReported);
    s.sweepFramesReported = s.sweepFrames.length;
    const scanner = hostText(s.host);
    const hows = [...s.swept.keys()].sort();
    const hosts = new Set<HostKey>();
    for (const set of s.swept.values()) for (const h of set) hosts.add(h);
    const sorted = [...hosts].sort(compareHosts);
    const live = [...s.live].filter((h) => hosts.has(h)).sort(compareHosts);
    ctx.report({
      key: `sweep|${scanner}|${s.windowStart}`,
      type: 'host-sweep',
      severity: 'low',
      mitre: 'T1018',
      title: `${hows.join(' + ')} host sweep from ${scanner}: ${hosts.size} hosts`,
      description:
        `${scanner} asked for ${hosts.size} distinct hosts (${hows.join(', ')}) within ${this.config.interval} s; ` +
        `${live.length} answered. Threshold: Zeek\u2019s addr_scan_threshold.` +
        (s.sampledFrom !== null ? ` Further hosts are counted but not itemised from frame ${s.sampledFrom}.` : ''),
      time: s.sweepLast,
      frame,
      frames: newFrames,
      framesTotal: s.sweepProbes,
      count: s.sweepProbes,
      src: { ip: scanner },
      details: {
        kind: 'sweep',
        technique: hows.join(' + '),
        windowStart: s.windowStart,
        targets: { count: hosts.size, sample: sorted.slice(0, MAX_SAMPLE_HOSTS).map(hostText) },
        liveHosts: { count: live.length, sample: live.slice(0, MAX_SAMPLE_HOSTS).map(hostText) },
        ...(s.sampledFrom !== null ? { sampledFromFrame: s.sampledFrom } : {}),
      },
    });
  }

  flush(ctx: DetectorContext): void {
    // The capture ended: whatever is still unanswered got no reply.
    const A = this.attempts;
    for (let s = A.head, next = -1; s !== -1; s = next) {
      next = A.next[s];
      this.timedOut(s, ctx);
    }
    for (const [host, s] of this.scanners) this.close(host, s, ctx);
  }

  private attemptStates(): AttemptState[] {
    const out: AttemptState[] = [];
    const A = this.attempts;
    for (let s = A.head; s !== -1; s = A.next[s]) {
      out.push({
        tcp: A.tag(s) === T_TCP,
        scanner: hostText(A.aHost(s)),
        target: hostText(A.bHost(s)),
        sport: A.aPort(s),
        dport: A.bPort(s),
        probe: PROBES[this.aProbe[s]],
        state: this.aState[s] as 0 | 1,
        isn: this.aIsn[s],
        t: this.aTime[s],
        frame: this.aFrame[s],
      });
    }
    return out;
  }

  /** Live entries (for tests and the memory note). */
  get size(): { attempts: number; scanners: number } {
    return { attempts: this.attempts.size, scanners: this.scanners.size };
  }

  snapshot(): PortScanState {
    const ackProbes: number[][] = [];
    for (let i = 0; i < ACK_SLOTS; i++) {
      if (this.now - this.ackTime[i] <= this.config.attemptTimeout) {
        ackProbes.push([
          i,
          this.ackSrc[i],
          this.ackDst[i],
          this.ackPorts[i],
          this.ackAck[i],
          this.ackFlags[i],
          this.ackTime[i],
          this.ackFrame[i],
        ]);
      }
    }
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      attempts: this.attemptStates(),
      scanners: [...this.scanners.values()].map((s) => ({
        host: hostText(s.host),
        windowStart: s.windowStart,
        first: s.first,
        last: s.last,
        lastFrame: s.lastFrame,
        targets: pairsByTarget(s),
        pairs: s.pairs,
        attempts: s.attempts,
        techniques: { ...s.techniques },
        open: [...s.open].map(([h, set]) => [hostText(h), [...set]] as [string, number[]]),
        halfOpen: s.halfOpen,
        sampledFrom: s.sampledFrom,
        reportedAttempts: s.reportedAttempts,
        frames: [...s.frames],
        framesReported: s.framesReported,
        swept: [...s.swept].map(([k, set]) => [k, [...set].map(hostText)] as ['ICMP echo' | 'ARP', string[]]),
        live: [...s.live].map(hostText),
        sweepProbes: s.sweepProbes,
        sweepFirst: s.sweepFirst,
        sweepLast: s.sweepLast,
        sweepLastFrame: s.sweepLastFrame,
        reportedSweep: s.reportedSweep,
        sweepFrames: [...s.sweepFrames],
        sweepFramesReported: s.sweepFramesReported,
      })),
      ackProbes,
    };
  }

  restore(state: PortScanState): void {
    this.now = state.now ?? -Infinity;
    this.nextSweep = state.nextSweep ?? -Infinity;
    this.resetAttempts();
    for (const x of state.attempts) {
      const scanner = hostFromText(x.scanner);
      const target = hostFromText(x.target);
      const s = this.attempts.add(x.tcp ? T_TCP : T_UDP, scanner, x.sport, target, x.dport);
      this.aProbe[s] = PROBES.indexOf(x.probe);
      this.aState[s] = x.state;
      this.aIsn[s] = x.isn;
      this.aTime[s] = x.t;
      this.aFrame[s] = x.frame;
      if (x.state === 1) this.openAttempts++;
      if (!x.tcp) this.udpProbers.set(scanner, (this.udpProbers.get(scanner) ?? 0) + 1);
    }
    this.scanners = new Map();
    this.lastScanner = null;
    for (const x of state.scanners) {
      const s = newScanner(hostFromText(x.host), x.windowStart, 0);
      Object.assign(s, {
        first: x.first,
        last: x.last,
        lastFrame: x.lastFrame,
        pairs: x.pairs,
        attempts: x.attempts,
        techniques: { ...x.techniques },
        open: new Map(x.open.map(([h, ports]) => [hostFromText(h), new Set(ports)])),
        openCount: x.open.reduce((n, [, ports]) => n + ports.length, 0),
        halfOpen: x.halfOpen,
        sampledFrom: x.sampledFrom,
        reportedAttempts: x.reportedAttempts,
        live: new Set(x.live.map(hostFromText)),
        sweepProbes: x.sweepProbes,
        sweepFirst: x.sweepFirst,
        sweepLast: x.sweepLast,
        sweepLastFrame: x.sweepLastFrame,
        reportedSweep: x.reportedSweep,
        frames: [...(x.frames ?? [])],
        framesReported: x.framesReported ?? 0,
        sweepFrames: [...(x.sweepFrames ?? [])],
        sweepFramesReported: x.sweepFramesReported ?? 0,
      });
      for (const [h, ports] of x.targets) {
        const host = hostFromText(h);
        if (!s.targets.has(host)) s.targets.set(host, 0);
        for (const port of ports) {
          const pair = endpointKey(host, port);
          if (s.pairSet.has(pair)) continue;
          s.pairSet.add(pair);
          s.targets.set(host, s.targets.get(host)! + 1);
          s.ports.set(port, (s.ports.get(port) ?? 0) + 1);
        }
      }
      for (const [k, hosts] of x.swept) s.swept.set(k, new Set(hosts.map(hostFromText)));
      this.scanners.set(s.host, s);
    }
    this.ackTime.fill(-Infinity);
    for (const [i, src, dst, ports, ack, flags, time, frame] of state.ackProbes) {
      this.ackSrc[i] = src;
      this.ackDst[i] = dst;
      this.ackPorts[i] = ports;
      this.ackAck[i] = ack;
      this.ackFlags[i] = flags;
      this.ackTime[i] = time;
      this.ackFrame[i] = frame;
    }
  }
}

function newScanner(host: HostKey, time: number, frame: number): Scanner {
  return {
    host,
    windowStart: time,
    first: time,
    last: time,
    lastFrame: frame,
    pairSet: new Set(),
    targets: new Map(),
    ports: new Map(),
    pairs: 0,
    attempts: 0,
    techniques: {},
    open: new Map(),
    openCount: 0,
    halfOpen: 0,
    sampledFrom: null,
    reportedAttempts: 0,
    frames: [],
    framesReported: 0,
    swept: new Map(),
    live: new Set(),
    sweepProbes: 0,
    sweepFirst: time,
    sweepLast: time,
    sweepLastFrame: frame,
    reportedSweep: 0,
    sweepFrames: [],
    sweepFramesReported: 0,
  };
}

/**
 * The technique that best names a scanner's probes. A SYN to a closed port looks the same in a
 * half-open and in a connect scan; only open ports tell them apart, so "connect" wins when the
 * prober completed and dropped more handshakes than it left half-open.
 */
function dominant(t: Partial<Record<Technique, number>>, halfOpen: number): Technique {
  if ((t.connect ?? 0) > halfOpen) return 'connect';
  let best: Technique = 'SYN';
  let n = -1;
  for (const [k, v] of Object.entries(t) as Array<[Technique, number]>) {
    if (k === 'connect') continue;
    if (v > n) {
      best = k;
      n = v;
    }
  }
  return best;
}

/** A scanner's failed pairs grouped by target, targets and ports in first-failure order (snapshots). */
function pairsByTarget(s: Scanner): Array<[string, number[]]> {
  const byTarget = new Map<HostKey, number[]>();
  for (const pair of s.pairSet) {
    let host: HostKey;
    let port: number;
    if (typeof pair === 'number') {
      port = pair % 65536;
      host = (pair - port) / 65536;
    } else {
      const bar = pair.lastIndexOf('|');
      host = pair.slice(0, bar);
      port = Number(pair.slice(bar + 1));
    }
    let ports = byTarget.get(host);
    if (ports === undefined) {
      ports = [];
      byTarget.set(host, ports);
    }
    ports.push(port);
  }
  const out: Array<[string, number[]]> = [];
  for (const [h, ports] of byTarget) out.push([hostText(h), ports]);
  return out;
}

function comparePorts(a: number, b: number): number {
  return a - b;
}

/** The k smallest distinct items in `cmp` order, sorted: a bounded insertion, no full sort. */
function smallest<T>(items: Iterable<T>, k: number, cmp: (a: T, b: T) => number): T[] {
  const out: T[] = [];
  if (k <= 0) return out;
  for (const x of items) {
    if (out.length === k) {
      if (cmp(x, out[k - 1]) >= 0) continue;
      out.pop();
    }
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(out[mid], x) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, x);
  }
  return out;
}

/** The k first open (host, port) pairs by host then port. */
function smallestOpen(open: Map<HostKey, Set<number>>, k: number): Array<{ host: HostKey; port: number }> {
  const out: Array<{ host: HostKey; port: number }> = [];
  if (k <= 0) return out;
  for (const [host, set] of open) {
    for (const port of set) {
      if (out.length === k) {
        const last = out[k - 1];
        if ((compareHosts(host, last.host) || port - last.port) >= 0) continue;
        out.pop();
      }
      let lo = 0;
      let hi = out.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((compareHosts(out[mid].host, host) || out[mid].port - port) < 0) lo = mid + 1;
        else hi = mid;
      }
      out.splice(lo, 0, { host, port });
    }
  }
  return out;
}

function ackSlot(s: number, d: number, sp: number, dp: number): number {
  let h = Math.imul(s ^ 0x9e3779b9, 0x85ebca6b) ^ d;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ ((sp << 16) | dp);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) & (ACK_SLOTS - 1);
}
