import type { TcpHijackConfig } from '../config';
import { dstIp, srcIp } from '../decode/address';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import { tcpWindowScale } from '../decode/tcp-options';
import type { StreamOverlapEvent } from '../events';
import { FlowKeyBuilder, keyFromHex, keyToHex } from '../reassembly/flow-key';
import type { Detector, DetectorContext } from './detector';

/**
 * Signs that a third party is inside an established TCP connection (session hijacking, on-path
 * injection). Connections are tracked from their SYN; for each the finding names the indicator:
 *
 *   ack-storm               both ends exchange bursts of pure ACKs with no data (two desynchronised
 *                           stacks acknowledging each other's "invalid" segments after an injection)
 *   out-of-window-data      data starting beyond what the receiver's advertised window allows
 *   conflicting-overlap     retransmitted bytes that differ from those already delivered (the
 *                           reassembler's StreamOverlapEvent with conflicting = true)
 *   ttl-change / mac-change one side's TTL or source MAC changes mid-session
 *   rst-injection           an in-window RST whose TTL or MAC differs from that side's
 *   duplicate-session       a second handshake on the same 4-tuple while the first session goes on
 *
 * One finding per connection and indicator, updated. State is capped and expires by packet time.
 */

type Indicator =
  | 'ack-storm'
  | 'out-of-window-data'
  | 'conflicting-overlap'
  | 'ttl-change'
  | 'mac-change'
  | 'rst-injection'
  | 'duplicate-session';

const BIT: Record<Indicator, number> = {
  'ack-storm': 1,
  'out-of-window-data': 2,
  'conflicting-overlap': 4,
  'ttl-change': 8,
  'mac-change': 16,
  'rst-injection': 32,
  'duplicate-session': 64,
};

const EXPLAIN: Record<Indicator, { mitre: string; text: string }> = {
  'ack-storm': {
    mitre: 'T1563',
    text: 'Both ends exchanged bursts of pure ACKs carrying no data: two stacks whose sequence numbers were desynchronised by injected data keep acknowledging each other (an ACK storm, the footprint of a TCP hijack).',
  },
  'out-of-window-data': {
    mitre: 'T1563',
    text: 'Data arrived starting beyond the receiver\u2019s advertised window, which no conforming sender transmits: a blind or on-path injection guessing sequence numbers.',
  },
  'conflicting-overlap': {
    mitre: 'T1563',
    text: 'A segment re-sent bytes already delivered with different content. Real retransmissions repeat the same bytes; different ones mean someone injected data into the stream (or is evading inspection).',
  },
  'ttl-change': {
    mitre: 'T1557',
    text: 'One side\u2019s IP TTL changed in the middle of an established connection: its packets now come from a different stack or path, as when an on-path attacker injects segments.',
  },
  'mac-change': {
    mitre: 'T1557',
    text: 'One side\u2019s source MAC changed in the middle of an established connection: another machine on the segment sends in its name (adversary-in-the-middle).',
  },
  'rst-injection': {
    mitre: 'T1557',
    text: 'An in-window RST arrived whose TTL or source MAC differs from the side it claims to come from: a forged reset that tears the connection down.',
  },
  'duplicate-session': {
    mitre: 'T1563',
    text: 'A second handshake took place on the same 4-tuple while the first session carried on: two concurrent sessions claim one connection, as in a session hijack.',
  },
};

interface Side {
  ttl: number;
  /** Source MAC as two numbers (high 24 bits, low 24 bits), -1 when unknown. */
  macHi: number;
  macLo: number;
  /** A MAC different from the baseline, waiting for the side's next packet to tell injection from noise. */
  altHi: number;
  altLo: number;
  /** More than one foreign MAC: the capture rewrites MACs (anonymised), so they prove nothing. */
  macUnstable: boolean;
  /** Baseline taken (from this side's first packet after its SYN / SYN-ACK). */
  known: boolean;
  isn: number;
  /** Highest sequence number sent + length. */
  nxt: number;
  wscale: number;
  win: number;
  ack: number;
  ackSet: boolean;
}

interface Conn {
  key: string;
  id: string;
  client: string;
  server: string;
  cport: number;
  sport: number;
  clientIsLow: boolean;
  c: Side;
  s: Side;
  synAck: boolean;
  established: boolean;
  closed: boolean;
  last: number;
  stamp: number;
  sec: number;
  acksC: number;
  acksS: number;
  dataInSec: boolean;
  reported: number;
  /** FIN seen from the client (1) / server (2): both mean the connection is over. */
  fins: number;
  /** The earlier session's next sequence numbers when a second handshake replaced it. */
  prev: { c: number; s: number } | null;
}

/**
 * A connection still in its handshake: SYNs and SYN-ACKs only, which is all most connections of a
 * scan or flood ever see (SYN, SYN-ACK, RST). It holds just what those packets set and becomes a
 * full Conn (addresses as text, both sides) on the first packet that needs more; until then it is
 * exactly the state open() and the handshake packets would have left in a Conn.
 */
class Handshake {
  constructor(
    readonly key: string,
    readonly clientIsLow: boolean,
    /** The connection's number (its id's suffix), taken at the first SYN. */
    readonly n: number,
    public isn: number,
    public wscale: number,
    public win: number,
    public last: number,
    public stamp: number,
    public synAck = false,
    public sIsn = 0,
    public sWscale = -1,
    public sWin = 0,
    public sAck = 0,
    public sAckSet = false,
  ) {}
}

type ConnState = Omit<Conn, 'key'> & { key: string };
type HandshakeState = Omit<Handshake, 'key'> & { key: string };

export interface TcpHijackState {
  now: number;
  nextSweep: number;
  counter: number;
  /** Full connections, or compact handshakes (those without `id`). */
  conns: Array<ConnState | HandshakeState>;
  half: Array<ConnState | HandshakeState>;
}

export class TcpHijackDetector implements Detector<TcpHijackState> {
  readonly id = 'tcp-hijack';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /** Established (or mid-handshake past SYN-ACK) connections, roughly ordered by last activity. */
  private conns = new Map<string, Conn | Handshake>();
  /** Connections that have only sent a SYN so far, ordered by SYN time (most never get further in a flood or scan). */
  private half = new Map<string, Conn | Handshake>();
  private readonly keys = new FlowKeyBuilder();
  private counter = 0;

  constructor(private readonly config: TcpHijackConfig) {}

  onPacket(p: DecodedPacket, ctx: DetectorContext): void {
    if (p.ipProto !== 6 || p.l4Off < 0 || p.malformed !== null || p.ipVersion === 0) return;
    if (p.time > this.now) this.now = p.time;
    if (this.now >= this.nextSweep) {
      this.expire();
      this.nextSweep = this.now + 1;
    }
    const f = p.tcpFlags;
    const pureSyn = (f & (TCP.SYN | TCP.ACK | TCP.RST | TCP.FIN)) === TCP.SYN;
    if (this.conns.size === 0 && this.half.size === 0 && !pureSyn) return;
    const key = this.keys.build(p);
    const low = this.keys.srcIsLow;
    let x = this.conns.get(key);
    let inConns = x !== undefined;
    if (x === undefined) {
      x = this.half.get(key);
      if (x === undefined) {
        if (pureSyn) this.open(key, low, p);
        return;
      }
      if ((f & TCP.SYN) !== 0 && (f & TCP.ACK) !== 0) {
        // The server answered: from now on it is a connection worth keeping.
        this.half.delete(key);
        this.admit(key, x);
        inConns = true;
      } else if ((f & TCP.RST) !== 0) {
        this.half.delete(key);
        return;
      }
    }
    x.last = p.time;
    if (inConns && p.time - x.stamp >= 1) {
      this.conns.delete(key);
      this.conns.set(key, x);
      x.stamp = p.time;
    }
    let c: Conn;
    if (x instanceof Handshake) {
      if ((f & TCP.SYN) !== 0) {
        handshakeSyn(x, low, p);
        return;
      }
      if ((f & TCP.RST) !== 0) {
        // Each side's first packet after the handshake only sets its baseline: no RST finding yet.
        this.conns.delete(key);
        return;
      }
      // Anything else needs the full bookkeeping: the Conn takes the handshake's place in line.
      c = this.promote(x, low, p);
      (inConns ? this.conns : this.half).set(key, c);
    } else {
      c = x;
    }
    const fromClient = low === c.clientIsLow;
    const me = fromClient ? c.c : c.s;
    const peer = fromClient ? c.s : c.c;
    const seq = p.tcpSeq >>> 0;

    if ((f & TCP.SYN) !== 0) {
      if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
      if (fromClient && (f & TCP.ACK) === 0) {
        if (seq === c.c.isn) return; // retransmitted SYN
        if (c.established && !c.closed) c.prev = { c: c.c.nxt, s: c.s.nxt };
        else c.prev = null;
        resetSide(c.c, seq, tcpWindowScale(p), p.tcpWindow);
        resetSide(c.s, 0, -1, 0);
        c.synAck = false;
        c.established = false;
        c.closed = false;
      } else if (!fromClient && (f & TCP.ACK) !== 0) {
        resetSide(c.s, seq, tcpWindowScale(p), p.tcpWindow);
        c.s.ack = p.tcpAck >>> 0;
        c.s.ackSet = true;
        c.synAck = true;
      }
      return;
    }

    const len = p.payloadLen;
    // Baseline of this side: its first packet after the handshake packets.
    if (!me.known) {
      me.known = true;
      me.ttl = p.ttl;
      if (p.srcMacOff >= 0) {
        me.macHi = (p.buf[p.srcMacOff] << 16) | (p.buf[p.srcMacOff + 1] << 8) | p.buf[p.srcMacOff + 2];
        me.macLo = (p.buf[p.srcMacOff + 3] << 16) | (p.buf[p.srcMacOff + 4] << 8) | p.buf[p.srcMacOff + 5];
      }
    }
    if (fromClient && c.synAck && !c.established && (f & TCP.ACK) !== 0) c.established = true;

    const ttlDiff = p.ttl !== me.ttl;
    let macDiff = false;
    /** A MAC change confirmed by this packet: 'persistent' (the foreign MAC again) or 'injected' (back to the baseline). */
    let macChange: 'persistent' | 'injected' | null = null;
    let foreign = '';
    if (me.macHi >= 0 && p.srcMacOff >= 0 && !me.macUnstable) {
      const hi = (p.buf[p.srcMacOff] << 16) | (p.buf[p.srcMacOff + 1] << 8) | p.buf[p.srcMacOff + 2];
      const lo = (p.buf[p.srcMacOff + 3] << 16) | (p.buf[p.srcMacOff + 4] << 8) | p.buf[p.srcMacOff + 5];
      macDiff = hi !== me.macHi || lo !== me.macLo;
      if (me.altHi >= 0) {
        if (!macDiff) macChange = 'injected';
        else if (hi === me.altHi && lo === me.altLo) macChange = 'persistent';
        else me.macUnstable = true;
        if (macChange !== null) foreign = macString(me.altHi, me.altLo);
        if (macChange === 'injected') me.altHi = me.altLo = -1;
      } else if (macDiff) {
        me.altHi = hi;
        me.altLo = lo;
      }
    }

    if ((f & TCP.RST) !== 0) {
      if ((ttlDiff || macDiff) && c.established && !c.closed && this.inWindow(seq, peer)) {
        this.hit(c, 'rst-injection', p, ctx, {
          ttl: p.ttl,
          expectedTtl: me.ttl,
          ...(macDiff ? { mac: macText(p), expectedMac: macString(me.macHi, me.macLo) } : {}),
          from: fromClient ? 'client' : 'server',
        });
      }
      c.closed = true;
      this.conns.delete(key);
      return;
    }

    if (c.established && !c.closed) {
      if (ttlDiff) {
        this.hit(c, 'ttl-change', p, ctx, { side: fromClient ? 'client' : 'server', ttl: p.ttl, expectedTtl: me.ttl });
      }
      if (macChange !== null) {
        this.hit(c, 'mac-change', p, ctx, {
          side: fromClient ? 'client' : 'server',
          change: macChange,
          foreignMac: foreign,
          expectedMac: macString(me.macHi, me.macLo),
        });
      }
    }

    // Duplicate session: the earlier session's sequence space is still in use.
    if (c.prev !== null && c.established && len > 0) {
      const old = fromClient ? c.prev.c : c.prev.s;
      const cur = me.nxt;
      if (Math.abs((seq - old) | 0) < 65536 && Math.abs((seq - cur) | 0) >= 65536) {
        this.hit(c, 'duplicate-session', p, ctx, { side: fromClient ? 'client' : 'server', seq, previousNextSeq: old });
      }
    }

    // Data beyond the receiver's window.
    if (len > 0 && c.established && peer.ackSet) {
      const scale = c.c.wscale >= 0 && c.s.wscale >= 0 ? peer.wscale : 0;
      const wnd = peer.win * 2 ** scale;
      const rel = (seq - peer.ack) | 0;
      if (rel > wnd + this.config.windowSlack) {
        this.hit(c, 'out-of-window-data', p, ctx, {
          side: fromClient ? 'client' : 'server',
          seq,
          receiverAck: peer.ack,
          receiverWindow: wnd,
          beyondBy: rel - wnd,
        });
      }
    }

    // Sequence / ack / window bookkeeping.
    const end = (seq + len + ((f & TCP.FIN) !== 0 ? 1 : 0)) >>> 0;
    if (((end - me.nxt) | 0) > 0 || me.nxt === 0) me.nxt = end;
    if ((f & TCP.ACK) !== 0) {
      me.ack = p.tcpAck >>> 0;
      me.ackSet = true;
      me.win = p.tcpWindow;
    }

    if ((f & TCP.FIN) !== 0) {
      c.fins |= fromClient ? 1 : 2;
      if (c.fins === 3) {
        this.conns.delete(key);
        return;
      }
    }

    // ACK storm: pure ACKs both ways in one second with no data.
    const sec = Math.floor(p.time);
    if (sec !== c.sec) {
      c.sec = sec;
      c.acksC = 0;
      c.acksS = 0;
      c.dataInSec = false;
    }
    if (len > 0) c.dataInSec = true;
    else if ((f & 0x3f) === TCP.ACK) {
      if (fromClient) c.acksC++;
      else c.acksS++;
      const r = this.config.ackStormRate;
      if (!c.dataInSec && c.acksC >= r && c.acksS >= r && c.established) {
        this.hit(c, 'ack-storm', p, ctx, { acksFromClient: c.acksC, acksFromServer: c.acksS, second: sec });
      }
    }
  }

  onStreamOverlap(e: StreamOverlapEvent, ctx: DetectorContext): void {
    if (!e.conflicting) return;
    const label = `${e.conn.client.ip}:${e.conn.client.port} \u2192 ${e.conn.server.ip}:${e.conn.server.port}`;
    const info = EXPLAIN['conflicting-overlap'];
    ctx.report({
      key: `${e.conn.id}|conflicting-overlap`,
      type: 'tcp-hijack',
      severity: 'high',
      mitre: info.mitre,
      title: `TCP session injection (conflicting-overlap) on ${label}`,
      description: `${info.text} Connection ${label}, ${e.dir === 'toServer' ? 'client to server' : 'server to client'}.`,
      time: e.time,
      frame: e.frame,
      src: e.dir === 'toServer' ? { ...e.conn.client } : { ...e.conn.server },
      dst: e.dir === 'toServer' ? { ...e.conn.server } : { ...e.conn.client },
      details: { indicator: 'conflicting-overlap', direction: e.dir, streamOffset: e.streamOffset, length: e.length },
    });
  }

  private inWindow(seq: number, receiver: Side): boolean {
    if (!receiver.ackSet) return true;
    const scale = receiver.wscale >= 0 ? receiver.wscale : 0;
    const rel = (seq - receiver.ack) | 0;
    return rel >= 0 && rel <= Math.max(receiver.win * 2 ** scale, 1);
  }

  private hit(c: Conn, ind: Indicator, p: DecodedPacket, ctx: DetectorContext, details: Record<string, unknown>): void {
    c.reported |= BIT[ind];
    const info = EXPLAIN[ind];
    const label = `${c.client}:${c.cport} \u2192 ${c.server}:${c.sport}`;
    ctx.report({
      key: `${c.id}|${ind}`,
      type: 'tcp-hijack',
      severity: 'high',
      mitre: info.mitre,
      title: `TCP session hijack indicator (${ind}) on ${label}`,
      description: `${info.text} Connection ${label}.`,
      time: p.time,
      frame: p.frame,
      src: { ip: srcIp(p), port: p.srcPort },
      dst: { ip: dstIp(p), port: p.dstPort },
      details: { indicator: ind, connection: label, ...details },
    });
  }

  private admit(key: string, c: Conn | Handshake): void {
    if (this.conns.size >= this.config.maxConnections) evictOldest(this.conns, this.config.maxConnections);
    this.conns.set(key, c);
  }

  private open(key: string, low: boolean, p: DecodedPacket): void {
    if (this.half.size >= this.config.maxConnections) evictOldest(this.half, this.config.maxConnections);
    const h = new Handshake(key, low, ++this.counter, p.tcpSeq >>> 0, tcpWindowScale(p), p.tcpWindow, p.time, p.time);
    this.half.set(key, h);
  }

  /** The Conn a Handshake stands for; `p` is any packet of the connection (for the addresses as text). */
  private promote(h: Handshake, low: boolean, p: DecodedPacket): Conn {
    const fromClient = low === h.clientIsLow;
    const client = (fromClient ? srcIp(p) : dstIp(p)) ?? '';
    const server = (fromClient ? dstIp(p) : srcIp(p)) ?? '';
    const cport = fromClient ? p.srcPort : p.dstPort;
    const sport = fromClient ? p.dstPort : p.srcPort;
    const c: Conn = {
      key: h.key,
      id: `${client}:${cport}-${server}:${sport}#${h.n}`,
      client,
      server,
      cport,
      sport,
      clientIsLow: h.clientIsLow,
      c: newSide(),
      s: newSide(),
      synAck: h.synAck,
      established: false,
      closed: false,
      last: h.last,
      stamp: h.stamp,
      sec: -1,
      acksC: 0,
      acksS: 0,
      dataInSec: false,
      reported: 0,
      fins: 0,
      prev: null,
    };
    resetSide(c.c, h.isn, h.wscale, h.win);
    resetSide(c.s, h.sIsn, h.sWscale, h.sWin);
    c.s.ack = h.sAck;
    c.s.ackSet = h.sAckSet;
    return c;
  }

  private expire(): void {
    const limit = this.now - this.config.idleTimeout;
    for (const [k, c] of this.conns) {
      if (c.last > limit) break;
      this.conns.delete(k);
    }
    const synLimit = this.now - this.config.handshakeTimeout;
    for (const [k, h] of this.half) {
      if (h.last > synLimit) break;
      this.half.delete(k);
    }
  }

  /** Live connections (tests, memory note). */
  get size(): { connections: number; handshakes: number } {
    return { connections: this.conns.size, handshakes: this.half.size };
  }

  snapshot(): TcpHijackState {
    return {
      now: this.now,
      nextSweep: this.nextSweep,
      counter: this.counter,
      half: entriesState(this.half),
      conns: entriesState(this.conns),
    };
  }

  restore(state: TcpHijackState): void {
    this.now = state.now ?? -Infinity;
    this.nextSweep = state.nextSweep ?? -Infinity;
    this.counter = state.counter ?? 0;
    this.conns = entriesFromState(state.conns);
    this.half = entriesFromState(state.half);
  }
}

/**
 * A SYN or SYN-ACK on a connection still in its handshake: what the full path does with a Conn
 * that is not established (a retransmission changes nothing, a new client ISN starts over).
 */
function handshakeSyn(h: Handshake, low: boolean, p: DecodedPacket): void {
  const f = p.tcpFlags;
  if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
  const fromClient = low === h.clientIsLow;
  const seq = p.tcpSeq >>> 0;
  if (fromClient && (f & TCP.ACK) === 0) {
    if (seq === h.isn) return;
    h.isn = seq;
    h.wscale = tcpWindowScale(p);
    h.win = p.tcpWindow;
    h.sIsn = 0;
    h.sWscale = -1;
    h.sWin = 0;
    h.sAckSet = false;
    h.synAck = false;
  } else if (!fromClient && (f & TCP.ACK) !== 0) {
    h.sIsn = seq;
    h.sWscale = tcpWindowScale(p);
    h.sWin = p.tcpWindow;
    h.sAck = p.tcpAck >>> 0;
    h.sAckSet = true;
    h.synAck = true;
  }
}

function entriesState(map: Map<string, Conn | Handshake>): TcpHijackState['conns'] {
  const out: TcpHijackState['conns'] = [];
  for (const x of map.values()) out.push(x instanceof Handshake ? { ...x, key: keyToHex(x.key) } : connState(x));
  return out;
}

function entriesFromState(list: TcpHijackState['conns']): Map<string, Conn | Handshake> {
  const map = new Map<string, Conn | Handshake>();
  for (const x of list) {
    const key = keyFromHex(x.key);
    if ('id' in x) map.set(key, connFromState(x));
    else {
      const h = new Handshake(key, x.clientIsLow, x.n, x.isn, x.wscale, x.win, x.last, x.stamp);
      h.synAck = x.synAck;
      h.sIsn = x.sIsn;
      h.sWscale = x.sWscale;
      h.sWin = x.sWin;
      h.sAck = x.sAck;
      h.sAckSet = x.sAckSet;
      map.set(key, h);
    }
  }
  return map;
}

function connState(c: Conn): ConnState {
  return { ...c, key: keyToHex(c.key), c: { ...c.c }, s: { ...c.s }, prev: c.prev && { ...c.prev } };
}

function connFromState(x: ConnState): Conn {
  return { ...x, key: keyFromHex(x.key), c: { ...x.c }, s: { ...x.s }, prev: x.prev && { ...x.prev } };
}

/** Drops the oldest eighth of a full table in one pass (one-at-a-time eviction from a Map's front is quadratic). */
function evictOldest<V>(map: Map<string, V>, cap: number): void {
  let n = Math.max(1, cap >> 3);
  for (const k of map.keys()) {
    map.delete(k);
    if (--n === 0) break;
  }
}

function newSide(): Side {
  return {
    ttl: -1,
    macHi: -1,
    macLo: -1,
    altHi: -1,
    altLo: -1,
    macUnstable: false,
    known: false,
    isn: 0,
    nxt: 0,
    wscale: -1,
    win: 0,
    ack: 0,
    ackSet: false,
  };
}

function resetSide(s: Side, isn: number, wscale: number, win: number): void {
  s.isn = isn;
  s.nxt = (isn + 1) >>> 0;
  s.wscale = wscale;
  s.win = win;
  s.ackSet = false;
  s.known = false;
}

function macText(p: DecodedPacket): string | undefined {
  if (p.srcMacOff < 0) return undefined;
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + p.buf[p.srcMacOff + i].toString(16).padStart(2, '0');
  return s;
}

function macString(hi: number, lo: number): string {
  const b = [hi >> 16, (hi >> 8) & 255, hi & 255, lo >> 16, (lo >> 8) & 255, lo & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
