import { TCP, type DecodedPacket } from '../decode/decoded-packet';
import { dstIp, formatIPv4, srcIp } from '../decode/address';
import type {
  ConnectionInfo,
  Direction,
  StreamCloseEvent,
  StreamDataEvent,
  StreamGapEvent,
  StreamOverlapEvent,
} from '../events';
import { connectionId, connectionId4 } from './connection-id';
import { FlowKeyBuilder, key4ToString, keyFromHex, keyToHex } from './flow-key';
import { FlowEntry, FlowTable } from './flow-table';
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
  /**
   * Whether onClose is called for connections that never emitted a data/gap/overlap event. The
   * pipeline turns it off when only the protocol dispatcher listens (it has no state for such a
   * connection): most connections of scans and floods then never build their ConnectionInfo.
   */
  closeEventsForSilentConnections?: boolean;
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
  closeEventsForSilentConnections: true,
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

/** One connection: its index entry, both directions, and the output they report through. */
class TcpStream extends FlowEntry implements DirectionOutput {
  /**
   * Directions are created on first use: a scanned port's stream (SYN, RST) never needs the
   * server's. A missing direction behaves, flushes and snapshots exactly as a fresh one.
   */
  c2sOrNull: StreamDirection | null = null;
  s2cOrNull: StreamDirection | null = null;
  /** ISN of the client's SYN, or -1: a different SYN on the same 4-tuple is a new connection. */
  clientSyn = -1;
  lastSeen = 0;
  /** Packet time the entry was last moved to the end of the map (coarse LRU order). */
  stamp = 0;
  closed = false;
  closedAt = 0;
  /**
   * Built on first use (an event, a snapshot): most streams of scans and floods never need it.
   * IPv6 streams get it when opened (their addresses are not kept as numbers).
   */
  connOrNull: ConnectionInfo | null = null;
  /** Stream number (the `#n` of the connection id) and packet time of the first segment. */
  n = 0;
  startTime = 0;

  constructor(
    readonly clientIsLow: boolean,
    private readonly r: TcpReassembler,
    private readonly historyBytes: number,
  ) {
    super();
  }

  /** The connection as events report it; the same object every time (listeners compare by identity). */
  get conn(): ConnectionInfo {
    return (this.connOrNull ??= this.buildConn());
  }

  /** IPv4 only: the client is the low or high key endpoint, as decided when the stream opened. */
  buildConn(): ConnectionInfo {
    const cIp = this.clientIsLow ? this.ka : this.kb;
    const cPort = this.clientIsLow ? this.kap : this.kbp;
    const sIp = this.clientIsLow ? this.kb : this.ka;
    const sPort = this.clientIsLow ? this.kbp : this.kap;
    return {
      id: connectionId4(cIp, cPort, sIp, sPort, this.n),
      transport: 'tcp',
      client: { ip: formatIPv4(cIp), port: cPort },
      server: { ip: formatIPv4(sIp), port: sPort },
      startTime: this.startTime,
    };
  }

  // The stream is its directions' output (tells them apart by identity): no per-direction
  // binder objects, which matter when a SYN scan opens a stream every few packets.
  get c2s(): StreamDirection {
    return (this.c2sOrNull ??= new StreamDirection(this, this.historyBytes));
  }
  get s2c(): StreamDirection {
    return (this.s2cOrNull ??= new StreamDirection(this, this.historyBytes));
  }

  private dirOf(d: StreamDirection): Direction {
    return d === this.c2sOrNull ? 'toServer' : 'toClient';
  }
  data(d: StreamDirection, offset: number, data: Buffer): void {
    this.r.emitData(this.conn, this.dirOf(d), offset, data);
  }
  gap(d: StreamDirection, offset: number, length: number): void {
    this.r.emitGap(this.conn, this.dirOf(d), offset, length);
  }
  overlap(d: StreamDirection, offset: number, length: number, conflicting: boolean): void {
    this.r.emitOverlap(this.conn, this.dirOf(d), offset, length, conflicting);
  }
  buffered(delta: number): void {
    this.r.totalBuffered += delta;
  }

  /** The key string FlowKeyBuilder.build() gives (snapshot form). */
  keyString(): string {
    return this.k6 ?? key4ToString(this.ka, this.kap, this.kb, this.kbp);
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
  private readonly streams = new FlowTable<TcpStream>();
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
    const keys = this.keys;
    let key6: string | null = null;
    let s: TcpStream | undefined;
    if (p.ipVersion === 4) {
      keys.key4(p);
      s = this.streams.get4(keys.lowIp, keys.lowPort, keys.highIp, keys.highPort);
    } else {
      key6 = keys.build(p);
      s = this.streams.get6(key6);
    }
    const srcIsLow = keys.srcIsLow;
    const ka = keys.lowIp;
    const kap = keys.lowPort;
    const kb = keys.highIp;
    const kbp = keys.highPort;
    const syn = (flags & TCP.SYN) !== 0;
    const pureSyn = syn && (flags & TCP.ACK) === 0;

    if (s !== undefined && s.closed) {
      if (pureSyn || (p.time - s.closedAt > this.opts.closedLinger && len > 0)) {
        this.streams.remove(s);
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
      this.streams.remove(s);
      s = undefined;
    }
    if (s === undefined) {
      if (!syn && len === 0) return;
      s = this.open(p, srcIsLow, syn, pureSyn);
      if (key6 !== null) {
        s.k6 = key6;
      } else {
        s.ka = ka;
        s.kap = kap;
        s.kb = kb;
        s.kbp = kbp;
      }
      this.streams.add(s);
      // After the key is set: an IPv4 stream's ConnectionInfo is built from it.
      if (this.sink.onOpen !== undefined) this.sink.onOpen(s.conn);
    }
    s.lastSeen = p.time;
    if (p.time - s.stamp >= 1) {
      this.streams.touch(s);
      s.stamp = p.time;
    }

    const fromClient = srcIsLow === s.clientIsLow;
    if ((flags & TCP.RST) !== 0) {
      this.finish(s, 'rst');
      // A connection that never carried a byte (a scanned or flooded port) has nothing a late
      // segment could add: drop it now rather than let it linger, so scans and floods leave only
      // short-lived objects behind (lingering ones reached the old generation: GC was the cost).
      if (neverCarried(s)) this.streams.remove(s);
      return;
    }
    const d = fromClient ? s.c2s : s.s2c;
    const o = fromClient ? s.s2cOrNull : s.c2sOrNull;
    if (syn) {
      if (pureSyn && fromClient && s.clientSyn === -1) s.clientSyn = p.tcpSeq >>> 0;
      if (!d.seen) d.init(p.tcpSeq + 1);
    }
    if ((flags & TCP.ACK) !== 0 && o !== null && o.seen && o.hasPending) o.acked(o.offsetOf(p.tcpAck));
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
      if (o !== null && o.fin) this.finish(s, 'fin');
    }
  }

  expire(now: number, frame: number): void {
    this.frame = frame;
    this.time = now;
    const idle = this.opts.idleTimeout;
    // Entries moved to the tail here are met again at the end of the walk and stop it (their
    // stamp is now young), as re-inserted entries did when this was a Map iteration.
    let s = this.streams.head;
    while (s !== null) {
      const next = s.next as TcpStream | null;
      if (s.closed) {
        if (now - s.closedAt >= this.opts.closedLinger) this.streams.remove(s);
        else if (now - s.stamp < idle) break;
        s = next;
        continue;
      }
      if (now - s.lastSeen >= idle) {
        this.finish(s, 'timeout');
        this.streams.remove(s);
      } else if (now - s.stamp >= idle) {
        // Active but stamped long ago (coarse touch): move it behind the newer entries.
        this.streams.touch(s);
        s.stamp = s.lastSeen;
      } else {
        break; // entries are in stamp order: the rest are younger
      }
      s = next;
    }
  }

  flush(now: number, frame: number): void {
    this.frame = frame;
    this.time = now;
    for (let s = this.streams.head; s !== null; s = s.next as TcpStream | null) if (!s.closed) this.finish(s, 'end');
    this.streams.clear();
  }

  snapshot(): ReassemblerState {
    const streams: StreamState[] = [];
    for (let s = this.streams.head; s !== null; s = s.next as TcpStream | null) {
      streams.push({
        k: keyToHex(s.keyString()),
        conn: s.connOrNull ?? s.buildConn(),
        clientIsLow: s.clientIsLow,
        clientSyn: s.clientSyn,
        lastSeen: s.lastSeen,
        stamp: s.stamp,
        closed: s.closed,
        closedAt: s.closedAt,
        c2s: s.c2sOrNull !== null ? s.c2sOrNull.snapshot() : StreamDirection.freshState(),
        s2c: s.s2cOrNull !== null ? s.s2cOrNull.snapshot() : StreamDirection.freshState(),
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
      const s = new TcpStream(x.clientIsLow, this, this.opts.historyBytes);
      s.connOrNull = conn;
      if (key.length === 6) {
        s.ka = (key.charCodeAt(0) << 16) | key.charCodeAt(1) | 0;
        s.kap = key.charCodeAt(2);
        s.kb = (key.charCodeAt(3) << 16) | key.charCodeAt(4) | 0;
        s.kbp = key.charCodeAt(5);
      } else {
        s.k6 = key;
      }
      s.clientSyn = x.clientSyn;
      s.lastSeen = x.lastSeen;
      s.stamp = x.stamp;
      s.closed = x.closed;
      s.closedAt = x.closedAt;
      s.c2s.restore(x.c2s);
      s.s2c.restore(x.s2c);
      this.streams.add(s);
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

  /** A new stream; the caller sets its key and adds it to the table. */
  private open(p: DecodedPacket, srcIsLow: boolean, syn: boolean, pureSyn: boolean): TcpStream {
    if (this.streams.size >= this.opts.maxStreams) this.evictOldest();
    let srcIsClient: boolean;
    if (syn) srcIsClient = pureSyn;
    else if (p.srcPort !== p.dstPort) srcIsClient = p.srcPort > p.dstPort;
    else srcIsClient = true;
    this.counter++;
    const s = new TcpStream(srcIsClient === srcIsLow, this, this.opts.historyBytes);
    s.n = this.counter;
    s.startTime = p.time;
    s.stamp = p.time;
    if (p.ipVersion !== 4) {
      const a = { ip: srcIp(p) ?? '', port: p.srcPort };
      const b = { ip: dstIp(p) ?? '', port: p.dstPort };
      const client = srcIsClient ? a : b;
      const server = srcIsClient ? b : a;
      s.connOrNull = {
        id: connectionId(client.ip, client.port, server.ip, server.port, this.counter),
        transport: 'tcp',
        client,
        server,
        startTime: p.time,
      };
    }
    this.stats.streams++;
    this.stats.active++;
    return s;
  }

  private evictOldest(): void {
    const s = this.streams.head;
    if (s === null) return;
    this.streams.remove(s);
    if (!s.closed) {
      this.stats.evicted++;
      this.finish(s, 'evicted');
    }
  }

  /** Deliver what is pending (holes become gaps) and close. The entry lingers when closed by FIN/RST. */
  private finish(s: TcpStream, reason: StreamCloseEvent['reason']): void {
    if (s.c2sOrNull !== null) s.c2sOrNull.flushAll();
    if (s.s2cOrNull !== null) s.s2cOrNull.flushAll();
    s.closed = true;
    s.closedAt = this.time;
    this.stats.active--;
    if (this.sink.onClose !== undefined && (s.connOrNull !== null || this.opts.closeEventsForSilentConnections))
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

function neverCarried(s: TcpStream): boolean {
  return (
    (s.c2sOrNull === null || s.c2sOrNull.nextOffset === 0) && (s.s2cOrNull === null || s.s2cOrNull.nextOffset === 0)
  );
}
