import type { TcpHijackConfig } from '../config';
import { dstIp, srcIp } from '../decode/address';
import { DecodedPacket, TCP } from '../decode/decoded-packet';
import { tcpWindowScale } from '../decode/tcp-options';
import type { StreamOverlapEvent } from '../events';
import { HostKey, dstHost, hostFromText, hostText, srcHost } from '../decode/host-key';
import { FlowKeyBuilder, keyFromHex, keyToHex } from '../reassembly/flow-key';
import { PairTable, addFlowKey, flowKey4, growFloat64, growInt32, growUint32, growUint8 } from './pair-table';
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
  /** Client and server hosts and the connection's number; their text is built on first need. */
  cHost: HostKey;
  sHost: HostKey;
  n: number;
  text: ConnText | null;
  cport: number;
  sport: number;
  clientIsLow: boolean;
  c: Side;
  s: Side;
  synAck: boolean;
  established: boolean;
  closed: boolean;
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

/** A connection's id and addresses as text (only reports and snapshots need them). */
interface ConnText {
  id: string;
  client: string;
  server: string;
}

interface ConnState extends Omit<Conn, 'cHost' | 'sHost' | 'n' | 'text'>, ConnText {
  key: string;
  last: number;
  stamp: number;
}

/** A connection still in its handshake, as a snapshot carries it (no `id`). */
interface HandshakeState {
  key: string;
  clientIsLow: boolean;
  n: number;
  isn: number;
  wscale: number;
  win: number;
  last: number;
  stamp: number;
  synAck: boolean;
  sIsn: number;
  sWscale: number;
  sWin: number;
  sAck: number;
  sAckSet: boolean;
}

export interface TcpHijackState {
  now: number;
  nextSweep: number;
  counter: number;
  /** Full connections, or compact handshakes (those without `id`). */
  conns: Array<ConnState | HandshakeState>;
  half: Array<ConnState | HandshakeState>;
}

/**
 * Connections keyed by their canonical 4-tuple (low endpoint first) in a PairTable, in order of
 * insertion / last move. A connection still in its handshake (SYNs and SYN-ACKs only, which is all
 * most connections of a scan or flood ever see) lives only in the typed-array columns; the first
 * packet that needs more gives it a full Conn (`conn[slot]`), built from exactly the state open()
 * and the handshake packets would have left in one. So a SYN costs no object and no key string.
 */
class ConnTable {
  readonly t: PairTable;
  clientIsLow: Uint8Array = new Uint8Array(0);
  /** The connection's number (its id's suffix), taken at the first SYN. */
  n: Float64Array = new Float64Array(0);
  isn: Uint32Array = new Uint32Array(0);
  wscale: Int32Array = new Int32Array(0);
  win: Int32Array = new Int32Array(0);
  last: Float64Array = new Float64Array(0);
  stamp: Float64Array = new Float64Array(0);
  synAck: Uint8Array = new Uint8Array(0);
  sIsn: Uint32Array = new Uint32Array(0);
  sWscale: Int32Array = new Int32Array(0);
  sWin: Int32Array = new Int32Array(0);
  sAck: Uint32Array = new Uint32Array(0);
  sAckSet: Uint8Array = new Uint8Array(0);
  conn: Array<Conn | null> = [];
  /** IPv6 slots' FlowKeyBuilder key (for snapshots); null for IPv4 slots. */
  key6: Array<string | null> = [];

  constructor() {
    this.t = new PairTable(256, (cap) => this.grow(cap));
    this.grow(this.t.capacity);
  }

  get size(): number {
    return this.t.size;
  }

  private grow(cap: number): void {
    this.clientIsLow = growUint8(this.clientIsLow, cap);
    this.n = growFloat64(this.n, cap);
    this.isn = growUint32(this.isn, cap);
    this.wscale = growInt32(this.wscale, cap);
    this.win = growInt32(this.win, cap);
    this.last = growFloat64(this.last, cap);
    this.stamp = growFloat64(this.stamp, cap);
    this.synAck = growUint8(this.synAck, cap);
    this.sIsn = growUint32(this.sIsn, cap);
    this.sWscale = growInt32(this.sWscale, cap);
    this.sWin = growInt32(this.sWin, cap);
    this.sAck = growUint32(this.sAck, cap);
    this.sAckSet = growUint8(this.sAckSet, cap);
    for (let s = this.conn.length; s < cap; s++) {
      this.conn.push(null);
      this.key6.push(null);
    }
  }

  remove(s: number): void {
    this.conn[s] = null;
    this.key6[s] = null;
    this.t.remove(s);
  }

  /** Drops the oldest eighth of a full table in one pass. */
  evictOldest(cap: number): void {
    let n = Math.max(1, cap >> 3);
    const t = this.t;
    for (let s = t.head, nx = -1; s !== -1 && n > 0; s = nx, n--) {
      nx = t.next[s];
      this.remove(s);
    }
  }

  /** Appends slot `s` of `from` (which keeps it) as the youngest entry; returns the new slot. */
  copyFrom(from: ConnTable, s: number): number {
    const f = from.t;
    const x = this.t.add(0, f.aHost(s), f.aPort(s), f.bHost(s), f.bPort(s));
    this.clientIsLow[x] = from.clientIsLow[s];
    this.n[x] = from.n[s];
    this.isn[x] = from.isn[s];
    this.wscale[x] = from.wscale[s];
    this.win[x] = from.win[s];
    this.last[x] = from.last[s];
    this.stamp[x] = from.stamp[s];
    this.synAck[x] = from.synAck[s];
    this.sIsn[x] = from.sIsn[s];
    this.sWscale[x] = from.sWscale[s];
    this.sWin[x] = from.sWin[s];
    this.sAck[x] = from.sAck[s];
    this.sAckSet[x] = from.sAckSet[s];
    this.conn[x] = from.conn[s];
    this.key6[x] = from.key6[s];
    return x;
  }

  toState(): TcpHijackState['conns'] {
    const out: TcpHijackState['conns'] = [];
    const t = this.t;
    for (let s = t.head; s !== -1; s = t.next[s]) {
      const key = keyToHex(this.key6[s] ?? flowKey4(t, s));
      const c = this.conn[s];
      if (c !== null) {
        const text = connText(c);
        out.push({
          key,
          id: text.id,
          client: text.client,
          server: text.server,
          cport: c.cport,
          sport: c.sport,
          clientIsLow: c.clientIsLow,
          c: { ...c.c },
          s: { ...c.s },
          synAck: c.synAck,
          established: c.established,
          closed: c.closed,
          last: this.last[s],
          stamp: this.stamp[s],
          sec: c.sec,
          acksC: c.acksC,
          acksS: c.acksS,
          dataInSec: c.dataInSec,
          reported: c.reported,
          fins: c.fins,
          prev: c.prev && { ...c.prev },
        });
      } else {
        out.push({
          key,
          clientIsLow: this.clientIsLow[s] !== 0,
          n: this.n[s],
          isn: this.isn[s],
          wscale: this.wscale[s],
          win: this.win[s],
          last: this.last[s],
          stamp: this.stamp[s],
          synAck: this.synAck[s] !== 0,
          sIsn: this.sIsn[s],
          sWscale: this.sWscale[s],
          sWin: this.sWin[s],
          sAck: this.sAck[s],
          sAckSet: this.sAckSet[s] !== 0,
        });
      }
    }
    return out;
  }

  static fromState(list: TcpHijackState['conns']): ConnTable {
    const m = new ConnTable();
    for (const x of list) {
      const key = keyFromHex(x.key);
      const s = addFlowKey(m.t, 0, key);
      if (s < 0) continue;
      if (key.length !== 6) m.key6[s] = key;
      m.clientIsLow[s] = x.clientIsLow ? 1 : 0;
      m.last[s] = x.last;
      m.stamp[s] = x.stamp;
      if ('id' in x) {
        m.conn[s] = {
          cHost: hostFromText(x.client),
          sHost: hostFromText(x.server),
          n: 0,
          text: { id: x.id, client: x.client, server: x.server },
          cport: x.cport,
          sport: x.sport,
          clientIsLow: x.clientIsLow,
          c: { ...x.c },
          s: { ...x.s },
          synAck: x.synAck,
          established: x.established,
          closed: x.closed,
          sec: x.sec,
          acksC: x.acksC,
          acksS: x.acksS,
          dataInSec: x.dataInSec,
          reported: x.reported,
          fins: x.fins,
          prev: x.prev && { ...x.prev },
        };
      } else {
        m.n[s] = x.n;
        m.isn[s] = x.isn;
        m.wscale[s] = x.wscale;
        m.win[s] = x.win;
        m.synAck[s] = x.synAck ? 1 : 0;
        m.sIsn[s] = x.sIsn;
        m.sWscale[s] = x.sWscale;
        m.sWin[s] = x.sWin;
        m.sAck[s] = x.sAck;
        m.sAckSet[s] = x.sAckSet ? 1 : 0;
      }
    }
    return m;
  }
}

export class TcpHijackDetector implements Detector<TcpHijackState> {
  readonly id = 'tcp-hijack';
  private now = -Infinity;
  private nextSweep = -Infinity;
  /** Established (or mid-handshake past SYN-ACK) connections, roughly ordered by last activity. */
  private conns = new ConnTable();
  /** Connections that have only sent a SYN so far, ordered by SYN time (most never get further in a flood or scan). */
  private half = new ConnTable();
  private readonly keys = new FlowKeyBuilder();
  private counter = 0;
  /** The current packet's canonical 4-tuple (low endpoint first) and IPv6 key. */
  private a: HostKey = 0;
  private ap = 0;
  private b: HostKey = 0;
  private bp = 0;
  private key6: string | null = null;

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
    const conns = this.conns;
    const half = this.half;
    if (conns.t.size === 0 && half.t.size === 0 && !pureSyn) return;
    let low: boolean;
    let x: number;
    if (p.ipVersion === 4) {
      const sa = p.src4 >>> 0;
      const da = p.dst4 >>> 0;
      const sp = p.srcPort;
      const dp = p.dstPort;
      low = sa < da || (sa === da && sp <= dp);
      const a = low ? sa : da;
      const ap = low ? sp : dp;
      const b = low ? da : sa;
      const bp = low ? dp : sp;
      this.a = a;
      this.ap = ap;
      this.b = b;
      this.bp = bp;
      this.key6 = null;
      x = conns.t.find4(0, a, ap, b, bp);
      if (x < 0) {
        x = half.t.find4(0, a, ap, b, bp);
        if (x < 0) {
          if (pureSyn) this.open(low, p);
          return;
        }
        x = -2 - x;
      }
    } else {
      this.key6 = this.keys.build(p);
      low = this.keys.srcIsLow;
      this.a = low ? srcHost(p) : dstHost(p);
      this.ap = low ? p.srcPort : p.dstPort;
      this.b = low ? dstHost(p) : srcHost(p);
      this.bp = low ? p.dstPort : p.srcPort;
      x = conns.t.find(0, this.a, this.ap, this.b, this.bp);
      if (x < 0) {
        x = half.t.find(0, this.a, this.ap, this.b, this.bp);
        if (x < 0) {
          if (pureSyn) this.open(low, p);
          return;
        }
        x = -2 - x;
      }
    }
    // x >= 0: a slot of conns; x <= -2: slot -2 - x of half.
    let inConns = x >= 0;
    if (!inConns) {
      x = -2 - x;
      if ((f & TCP.SYN) !== 0 && (f & TCP.ACK) !== 0) {
        // The server answered: from now on it is a connection worth keeping.
        x = this.admit(x);
        inConns = true;
      } else if ((f & TCP.RST) !== 0) {
        half.remove(x);
        return;
      }
    }
    const m = inConns ? conns : half;
    m.last[x] = p.time;
    if (inConns && p.time - m.stamp[x] >= 1) {
      conns.t.moveToBack(x);
      m.stamp[x] = p.time;
    }
    let c = m.conn[x];
    if (c === null) {
      if ((f & TCP.SYN) !== 0) {
        handshakeSyn(m, x, low, p);
        return;
      }
      if ((f & TCP.RST) !== 0) {
        // Each side's first packet after the handshake only sets its baseline: no RST finding yet.
        // (Only connections reach here: a handshake's RST left above.)
        conns.remove(x);
        return;
      }
      // Anything else needs the full bookkeeping: the Conn takes the handshake's place.
      c = promote(m, x, low, p);
      m.conn[x] = c;
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
      if (inConns) conns.remove(x);
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
      const wnd = peer.win * pow2(scale);
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
        if (inConns) conns.remove(x);
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
    return rel >= 0 && rel <= Math.max(receiver.win * pow2(scale), 1);
  }

  private hit(c: Conn, ind: Indicator, p: DecodedPacket, ctx: DetectorContext, details: Record<string, unknown>): void {
    c.reported |= BIT[ind];
    const info = EXPLAIN[ind];
    const text = connText(c);
    const label = `${text.client}:${c.cport} \u2192 ${text.server}:${c.sport}`;
    ctx.report({
      key: `${text.id}|${ind}`,
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

  /** Moves half's slot `h` to conns (making room first); returns its slot there. */
  private admit(h: number): number {
    const conns = this.conns;
    if (conns.t.size >= this.config.maxConnections) conns.evictOldest(this.config.maxConnections);
    const x = conns.copyFrom(this.half, h);
    this.half.remove(h);
    return x;
  }

  /** A first SYN: a handshake for the packet's 4-tuple (set by onPacket). */
  private open(low: boolean, p: DecodedPacket): void {
    const m = this.half;
    if (m.t.size >= this.config.maxConnections) m.evictOldest(this.config.maxConnections);
    const x = m.t.add(0, this.a, this.ap, this.b, this.bp);
    m.key6[x] = this.key6;
    m.clientIsLow[x] = low ? 1 : 0;
    m.n[x] = ++this.counter;
    m.isn[x] = p.tcpSeq >>> 0;
    m.wscale[x] = tcpWindowScale(p);
    m.win[x] = p.tcpWindow;
    m.last[x] = p.time;
    m.stamp[x] = p.time;
    m.synAck[x] = 0;
    m.sIsn[x] = 0;
    m.sWscale[x] = -1;
    m.sWin[x] = 0;
    m.sAck[x] = 0;
    m.sAckSet[x] = 0;
  }

  private expire(): void {
    expireTable(this.conns, this.now - this.config.idleTimeout);
    expireTable(this.half, this.now - this.config.handshakeTimeout);
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
      half: this.half.toState(),
      conns: this.conns.toState(),
    };
  }

  restore(state: TcpHijackState): void {
    this.now = state.now ?? -Infinity;
    this.nextSweep = state.nextSweep ?? -Infinity;
    this.counter = state.counter ?? 0;
    this.conns = ConnTable.fromState(state.conns);
    this.half = ConnTable.fromState(state.half);
  }
}

function expireTable(m: ConnTable, limit: number): void {
  const t = m.t;
  for (let s = t.head; s !== -1; s = t.head) {
    if (m.last[s] > limit) break;
    m.remove(s);
  }
}

/** The Conn a handshake slot stands for; `p` is any packet of the connection (for the addresses as text). */
function promote(m: ConnTable, x: number, low: boolean, p: DecodedPacket): Conn {
  const clientIsLow = m.clientIsLow[x] !== 0;
  const fromClient = low === clientIsLow;
  const cport = fromClient ? p.srcPort : p.dstPort;
  const sport = fromClient ? p.dstPort : p.srcPort;
  const c: Conn = {
    cHost: fromClient ? srcHost(p) : dstHost(p),
    sHost: fromClient ? dstHost(p) : srcHost(p),
    n: m.n[x],
    text: null,
    cport,
    sport,
    clientIsLow,
    c: newSide(),
    s: newSide(),
    synAck: m.synAck[x] !== 0,
    established: false,
    closed: false,
    sec: -1,
    acksC: 0,
    acksS: 0,
    dataInSec: false,
    reported: 0,
    fins: 0,
    prev: null,
  };
  resetSide(c.c, m.isn[x], m.wscale[x], m.win[x]);
  resetSide(c.s, m.sIsn[x], m.sWscale[x], m.sWin[x]);
  c.s.ack = m.sAck[x];
  c.s.ackSet = m.sAckSet[x] !== 0;
  return c;
}

/**
 * A SYN or SYN-ACK on a connection still in its handshake: what the full path does with a Conn
 * that is not established (a retransmission changes nothing, a new client ISN starts over).
 */
function handshakeSyn(m: ConnTable, x: number, low: boolean, p: DecodedPacket): void {
  const f = p.tcpFlags;
  if ((f & (TCP.RST | TCP.FIN)) !== 0) return;
  const fromClient = low === (m.clientIsLow[x] !== 0);
  const seq = p.tcpSeq >>> 0;
  if (fromClient && (f & TCP.ACK) === 0) {
    if (seq === m.isn[x]) return;
    m.isn[x] = seq;
    m.wscale[x] = tcpWindowScale(p);
    m.win[x] = p.tcpWindow;
    m.sIsn[x] = 0;
    m.sWscale[x] = -1;
    m.sWin[x] = 0;
    m.sAckSet[x] = 0;
    m.synAck[x] = 0;
  } else if (!fromClient && (f & TCP.ACK) !== 0) {
    m.sIsn[x] = seq;
    m.sWscale[x] = tcpWindowScale(p);
    m.sWin[x] = p.tcpWindow;
    m.sAck[x] = p.tcpAck >>> 0;
    m.sAckSet[x] = 1;
    m.synAck[x] = 1;
  }
}

function connText(c: Conn): ConnText {
  if (c.text === null) {
    const client = hostText(c.cHost);
    const server = hostText(c.sHost);
    c.text = { id: `${client}:${c.cport}-${server}:${c.sport}#${c.n}`, client, server };
  }
  return c.text;
}

/** 2 ** n for window scales (a table read instead of Math.pow on every data segment). */
const POW2 = new Float64Array(64).map((_, i) => 2 ** i);

function pow2(n: number): number {
  return n < 64 ? POW2[n] : 2 ** n;
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
