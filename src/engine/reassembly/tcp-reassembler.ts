import { TCP, type DecodedPacket } from '../decode/decoded-packet';
import { dstIp, srcIp } from '../decode/address';
import type {
  ConnectionInfo,
  Direction,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
  StreamOverlapEvent,
} from '../events';
import { FlowKeyBuilder, keyFromHex, keyToHex } from './flow-key';
import { StreamDirection, type DirectionOutput, type DirectionState } from './stream-direction';

/**
 * Bounded TCP stream reassembly, both directions, packet time only.
 *
 * Which side is the client: the sender of a SYN without ACK (or the receiver of a SYN+ACK when
 * the SYN was missed). When the handshake was not captured at all (mid-stream pickup) the side
 * with the HIGHER port is the client, because clients use ephemeral ports above the service
 * port in nearly every real stack; with equal ports the first talker is the client.
 *
 * Streams are created only by a SYN or a segment with payload: pure ACK/FIN/RST segments for an
 * unknown 4-tuple (ACK scans, stray resets, the last ACK of a closed connection) create no state.
 */

export interface StreamSink {
  onData?(e: StreamDataEvent): void;
  onGap?(e: StreamGapEvent): void;
  onOverlap?(e: StreamOverlapEvent): void;
  onClose?(e: StreamCloseEvent): void;
  onOpen?(conn: ConnectionInfo): void;
}

export interface ReassemblyOptions {
  /** Streams tracked at once; the least recently active is evicted beyond it. */
  maxStreams: number;
  /** Out-of-order bytes buffered per direction before the oldest hole is skipped as a gap. */
  maxBufferedPerDirection: number;
  /** Out-of-order bytes buffered over all streams (same hole skipping beyond it). */
  maxBufferedTotal: number;
  /** Seconds of packet time without a segment before a stream is closed with 'timeout'. */
  idleTimeout: number;
  /** Seconds a closed 4-tuple is remembered so late retransmissions do not open a new stream. */
  closedLinger?: number;
  /** Delivered bytes kept per direction to compare retransmissions against (conflicting overlaps). */
  historyBytes?: number;
}

export const DEFAULT_REASSEMBLY_OPTIONS: Required<ReassemblyOptions> = {
  maxStreams: 65536,
  maxBufferedPerDirection: 256 * 1024,
  maxBufferedTotal: 64 * 1024 * 1024,
  idleTimeout: 300,
  // A few RTTs cover retransmitted FINs/ACKs; TIME_WAIT (2*MSL) would keep far too much state.
  closedLinger: 5,
  // One full-size segment plus change: the injected/real pair of a hijack is usually the last one.
  historyBytes: 2048,
};

/** Segments claiming to be more than this far ahead of the stream are ignored (forged or junk). */
const MAX_FORWARD_JUMP = 1 << 30;

export interface ReassemblerStats {
  streams: number;
  active: number;
  bytes: number;
  gaps: number;
  overlaps: number;
  conflictingOverlaps: number;
  evicted: number;
}

interface StreamState {
  k: string;
  conn: ConnectionInfo;
  clientIsLow: boolean;
  clientSyn: number;
  lastSeen: number;
  stamp: number;
  closed: boolean;
  closedAt: number;
  c2s: DirectionState;
  s2c: DirectionState;
}

export interface ReassemblerState {
  v: 1;
  counter: number;
  stats: ReassemblerStats;
  streams: StreamState[];
}

class TcpStream {
  readonly c2s: StreamDirection;
  readonly s2c: StreamDirection;
  /** ISN of the client's SYN, or -1: a different SYN on the same 4-tuple is a new connection. */
  clientSyn = -1;
  lastSeen = 0;
  /** Packet time the entry was last moved to the end of the map (coarse LRU order). */
  stamp = 0;
  closed = false;
  closedAt = 0;

  constructor(
    readonly key: string,
    readonly conn: ConnectionInfo,
    readonly clientIsLow: boolean,
    r: TcpReassembler,
    historyBytes: number,
  ) {
    this.c2s = new StreamDirection(new DirOutput(r, conn, 'toServer'), historyBytes);
    this.s2c = new StreamDirection(new DirOutput(r, conn, 'toClient'), historyBytes);
  }
}

/** Binds a direction's output to its connection and direction label. */
class DirOutput implements DirectionOutput {
  constructor(
    private readonly r: TcpReassembler,
    private readonly conn: ConnectionInfo,
    private readonly dir: Direction,
  ) {}
  data(_d: StreamDirection, offset: number, data: Buffer): void {
    this.r.emitData(this.conn, this.dir, offset, data);
  }
  gap(_d: StreamDirection, offset: number, length: number): void {
    this.r.emitGap(this.conn, this.dir, offset, length);
  }
  overlap(_d: StreamDirection, offset: number, length: number, conflicting: boolean): void {
    this.r.emitOverlap(this.conn, this.dir, offset, length, conflicting);
  }
  buffered(delta: number): void {
    this.r.totalBuffered += delta;
  }
}

export class TcpReassembler {
  readonly stats: ReassemblerStats = {
    streams: 0,
    active: 0,
    bytes: 0,
    gaps: 0,
    overlaps: 0,
    conflictingOverlaps: 0,
    evicted: 0,
  };
  /** @internal maintained by the directions' outputs. */
  totalBuffered = 0;
  private readonly opts: Required<ReassemblyOptions>;
  private readonly streams = new Map<string, TcpStream>();
  private readonly keys = new FlowKeyBuilder();
  private counter = 0;
  private frame = 0;
  private time = 0;

  constructor(
    private readonly sink: StreamSink,
    opts?: Partial<ReassemblyOptions>,
  ) {
    this.opts = { ...DEFAULT_REASSEMBLY_OPTIONS, ...(opts ?? {}) } as Required<ReassemblyOptions>;
  }

  onSegment(p: DecodedPacket): void {
    if (p.ipProto !== 6 || p.l4Off < 0 || p.malformed !== null) return;
    const flags = p.tcpFlags;
    const len = p.payloadLen;
    // Pure ACKs change nothing unless some stream waits on a hole an ACK could resolve.
    if (len === 0 && (flags & (TCP.SYN | TCP.FIN | TCP.RST)) === 0 && this.totalBuffered === 0) return;
    this.frame = p.frame;
    this.time = p.time;
    const key = this.keys.build(p);
    const srcIsLow = this.keys.srcIsLow;
    const syn = (flags & TCP.SYN) !== 0;
    const pureSyn = syn && (flags & TCP.ACK) === 0;

    let s = this.streams.get(key);
    if (s !== undefined && s.closed) {
      if (pureSyn || (p.time - s.closedAt > this.opts.closedLinger && len > 0)) {
        this.streams.delete(key);
        s = undefined;
      } else {
        return;
      }
    }
    if (
      s !== undefined &&
      pureSyn &&
      s.clientSyn !== -1 &&
      s.clientSyn !== p.tcpSeq >>> 0 &&
      srcIsLow === s.clientIsLow
    ) {
      // Same 4-tuple, new ISN: the old connection ended without us seeing it.
      this.finish(s, 'end');
      this.streams.delete(key);
      s = undefined;
    }
    if (s === undefined) {
      if (!syn && len === 0) return;
      s = this.open(key, p, srcIsLow, syn, pureSyn);
    }
    s.lastSeen = p.time;
    if (p.time - s.stamp >= 1) {
      this.streams.delete(key);
      this.streams.set(key, s);
      s.stamp = p.time;
    }

    const fromClient = srcIsLow === s.clientIsLow;
    const d = fromClient ? s.c2s : s.s2c;
    const o = fromClient ? s.s2c : s.c2s;

    if ((flags & TCP.RST) !== 0) {
      this.finish(s, 'rst');
      return;
    }
    if (syn) {
      if (pureSyn && fromClient && s.clientSyn === -1) s.clientSyn = p.tcpSeq >>> 0;
      if (!d.seen) d.init(p.tcpSeq + 1);
    }
    if ((flags & TCP.ACK) !== 0 && o.seen && o.hasPending) o.acked(o.offsetOf(p.tcpAck));
    if (len > 0) {
      const seq = syn ? p.tcpSeq + 1 : p.tcpSeq;
      if (!d.seen) d.init(seq);
      const rel = (seq - d.nextSeq) | 0;
      if (rel < MAX_FORWARD_JUMP) {
        d.add(d.nextOffset + rel, p.l4Buf, p.payloadOff, len);
        this.enforceCaps(d);
      }
    }
    if ((flags & TCP.FIN) !== 0) {
      d.fin = true;
      if (o.fin) this.finish(s, 'fin');
    }
  }

  expire(now: number, frame: number): void {
    this.frame = frame;
    this.time = now;
    const idle = this.opts.idleTimeout;
    for (const [key, s] of this.streams) {
      if (s.closed) {
        if (now - s.closedAt >= this.opts.closedLinger) this.streams.delete(key);
        else if (now - s.stamp < idle) break;
        continue;
      }
      if (now - s.lastSeen >= idle) {
        this.finish(s, 'timeout');
        this.streams.delete(key);
      } else if (now - s.stamp >= idle) {
        // Active but stamped long ago (coarse touch): move it behind the newer entries.
        this.streams.delete(key);
        this.streams.set(key, s);
        s.stamp = s.lastSeen;
      } else {
        break; // entries are in stamp order: the rest are younger
      }
    }
  }

  flush(now: number, frame: number): void {
    this.frame = frame;
    this.time = now;
    for (const s of this.streams.values()) if (!s.closed) this.finish(s, 'end');
    this.streams.clear();
  }

  snapshot(): ReassemblerState {
    const streams: StreamState[] = [];
    for (const s of this.streams.values()) {
      streams.push({
        k: keyToHex(s.key),
        conn: s.conn,
        clientIsLow: s.clientIsLow,
        clientSyn: s.clientSyn,
        lastSeen: s.lastSeen,
        stamp: s.stamp,
        closed: s.closed,
        closedAt: s.closedAt,
        c2s: s.c2s.snapshot(),
        s2c: s.s2c.snapshot(),
      });
    }
    return { v: 1, counter: this.counter, stats: { ...this.stats }, streams };
  }

  restore(st: ReassemblerState): void {
    this.streams.clear();
    this.totalBuffered = 0;
    this.counter = st.counter;
    Object.assign(this.stats, st.stats);
    for (const x of st.streams) {
      const conn: ConnectionInfo = {
        id: x.conn.id,
        transport: 'tcp',
        client: { ip: x.conn.client.ip, port: x.conn.client.port },
        server: { ip: x.conn.server.ip, port: x.conn.server.port },
        startTime: x.conn.startTime,
      };
      const key = keyFromHex(x.k);
      const s = new TcpStream(key, conn, x.clientIsLow, this, this.opts.historyBytes);
      s.clientSyn = x.clientSyn;
      s.lastSeen = x.lastSeen;
      s.stamp = x.stamp;
      s.closed = x.closed;
      s.closedAt = x.closedAt;
      s.c2s.restore(x.c2s);
      s.s2c.restore(x.s2c);
      this.streams.set(key, s);
    }
  }

  // ---- event emission (called by the directions' outputs) -------------------------------

  /** @internal */
  emitData(conn: ConnectionInfo, dir: Direction, streamOffset: number, data: Buffer): void {
    this.stats.bytes += data.length;
    if (this.sink.onData !== undefined)
      this.sink.onData({ conn, dir, data, streamOffset, frame: this.frame, time: this.time });
  }

  /** @internal */
  emitGap(conn: ConnectionInfo, dir: Direction, streamOffset: number, length: number): void {
    this.stats.gaps++;
    if (this.sink.onGap !== undefined)
      this.sink.onGap({ conn, dir, streamOffset, length, frame: this.frame, time: this.time });
  }

  /** @internal */
  emitOverlap(conn: ConnectionInfo, dir: Direction, streamOffset: number, length: number, conflicting: boolean): void {
    this.stats.overlaps++;
    if (conflicting) this.stats.conflictingOverlaps++;
    if (this.sink.onOverlap !== undefined) {
      this.sink.onOverlap({ conn, dir, streamOffset, length, conflicting, frame: this.frame, time: this.time });
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private open(key: string, p: DecodedPacket, srcIsLow: boolean, syn: boolean, pureSyn: boolean): TcpStream {
    if (this.streams.size >= this.opts.maxStreams) this.evictOldest();
    let srcIsClient: boolean;
    if (syn) srcIsClient = pureSyn;
    else if (p.srcPort !== p.dstPort) srcIsClient = p.srcPort > p.dstPort;
    else srcIsClient = true;
    const a = { ip: srcIp(p) ?? '', port: p.srcPort };
    const b = { ip: dstIp(p) ?? '', port: p.dstPort };
    const client = srcIsClient ? a : b;
    const server = srcIsClient ? b : a;
    this.counter++;
    const conn: ConnectionInfo = {
      id: `${client.ip}:${client.port}-${server.ip}:${server.port}#${this.counter}`,
      transport: 'tcp',
      client,
      server,
      startTime: p.time,
    };
    const s = new TcpStream(key, conn, srcIsClient === srcIsLow, this, this.opts.historyBytes);
    s.stamp = p.time;
    this.streams.set(key, s);
    this.stats.streams++;
    this.stats.active++;
    if (this.sink.onOpen !== undefined) this.sink.onOpen(conn);
    return s;
  }

  private evictOldest(): void {
    for (const [key, s] of this.streams) {
      this.streams.delete(key);
      if (!s.closed) {
        this.stats.evicted++;
        this.finish(s, 'evicted');
      }
      return;
    }
  }

  /** Deliver what is pending (holes become gaps) and close. The entry lingers when closed by FIN/RST. */
  private finish(s: TcpStream, reason: StreamCloseEvent['reason']): void {
    s.c2s.flushAll();
    s.s2c.flushAll();
    s.closed = true;
    s.closedAt = this.time;
    this.stats.active--;
    if (this.sink.onClose !== undefined)
      this.sink.onClose({ conn: s.conn, reason, time: this.time, frame: this.frame });
  }

  private enforceCaps(d: StreamDirection): void {
    while (
      (d.bufferedBytes > this.opts.maxBufferedPerDirection || this.totalBuffered > this.opts.maxBufferedTotal) &&
      d.skipHole()
    ) {
      /* each skip delivers at least one segment */
    }
  }
}
