import { DecodedPacket, TCP } from '../decode/decoded-packet';
import type { ConnectionInfo, StreamCloseEvent, StreamDataEvent, StreamGapEvent, StreamOverlapEvent } from '../events';
import { SEGMENT_COST } from './stream-direction';
import { TcpReassembler, type ReassemblyOptions, type StreamSink } from './tcp-reassembler';

/** One TCP segment between 10.0.0.1:40000 (A) and 10.0.0.2:80 (B), filled straight into the view. */
interface Seg {
  fromA: boolean;
  seq: number;
  ack?: number;
  flags: number;
  data?: string;
  time?: number;
}

const A = 0x0a000001;
const B = 0x0a000002;

function packet(p: DecodedPacket, s: Seg, frame: number): DecodedPacket {
  p.reset();
  const payload = Buffer.from(s.data ?? '', 'latin1');
  const buf = Buffer.concat([Buffer.alloc(20), payload]);
  p.frame = frame;
  p.time = s.time ?? 1000 + frame * 0.001;
  p.buf = buf;
  p.l4Buf = buf;
  p.ipVersion = 4;
  p.ipProto = 6;
  p.src4 = s.fromA ? A : B;
  p.dst4 = s.fromA ? B : A;
  p.srcPort = s.fromA ? 40000 : 80;
  p.dstPort = s.fromA ? 80 : 40000;
  p.l4Off = 0;
  p.tcpFlags = s.flags;
  p.tcpSeq = s.seq >>> 0;
  p.tcpAck = (s.ack ?? 0) >>> 0;
  p.payloadOff = 20;
  p.payloadLen = payload.length;
  return p;
}

type Ev =
  | { t: 'open'; id: string }
  | { t: 'data'; dir: string; off: number; data: string; frame: number }
  | { t: 'gap'; dir: string; off: number; len: number }
  | { t: 'overlap'; dir: string; off: number; len: number; conflicting: boolean }
  | { t: 'close'; reason: string; frame: number };

function recorder(): { sink: StreamSink; events: Ev[] } {
  const events: Ev[] = [];
  const sink: StreamSink = {
    onOpen: (c: ConnectionInfo) => events.push({ t: 'open', id: c.id }),
    onData: (e: StreamDataEvent) =>
      events.push({ t: 'data', dir: e.dir, off: e.streamOffset, data: e.data.toString('latin1'), frame: e.frame }),
    onGap: (e: StreamGapEvent) => events.push({ t: 'gap', dir: e.dir, off: e.streamOffset, len: e.length }),
    onOverlap: (e: StreamOverlapEvent) =>
      events.push({ t: 'overlap', dir: e.dir, off: e.streamOffset, len: e.length, conflicting: e.conflicting }),
    onClose: (e: StreamCloseEvent) => events.push({ t: 'close', reason: e.reason, frame: e.frame }),
  };
  return { sink, events };
}

function run(segs: Seg[], opts?: Partial<ReassemblyOptions>, flushAtEnd = true): { events: Ev[]; r: TcpReassembler } {
  const { sink, events } = recorder();
  const r = new TcpReassembler(sink, opts);
  const p = new DecodedPacket();
  segs.forEach((s, i) => r.onSegment(packet(p, s, i + 1)));
  if (flushAtEnd) r.flush(2000, segs.length);
  return { events, r };
}

const { SYN, ACK, FIN, RST, PSH } = TCP;
const ISN_A = 1000;
const ISN_B = 5000;
const handshake: Seg[] = [
  { fromA: true, seq: ISN_A, flags: SYN },
  { fromA: false, seq: ISN_B, ack: ISN_A + 1, flags: SYN | ACK },
  { fromA: true, seq: ISN_A + 1, ack: ISN_B + 1, flags: ACK },
];

function dataOf(events: Ev[], dir: string): string {
  return events
    .filter((e): e is Extract<Ev, { t: 'data' }> => e.t === 'data' && e.dir === dir)
    .map((e) => e.data)
    .join('');
}

describe('TcpReassembler', () => {
  it('delivers both directions in order with the SYN sender as client, and closes on FIN/FIN', () => {
    const { events, r } = run([
      ...handshake,
      { fromA: true, seq: ISN_A + 1, ack: ISN_B + 1, flags: ACK | PSH, data: 'GET / HTTP/1.1\r\n\r\n' },
      { fromA: false, seq: ISN_B + 1, ack: ISN_A + 19, flags: ACK | PSH, data: 'HTTP/1.1 200 OK\r\n' },
      { fromA: true, seq: ISN_A + 19, ack: ISN_B + 18, flags: FIN | ACK },
      { fromA: false, seq: ISN_B + 18, ack: ISN_A + 20, flags: FIN | ACK },
      { fromA: true, seq: ISN_A + 20, ack: ISN_B + 19, flags: ACK },
    ]);
    expect(events).toEqual([
      { t: 'open', id: '10.0.0.1:40000-10.0.0.2:80#1' },
      { t: 'data', dir: 'toServer', off: 0, data: 'GET / HTTP/1.1\r\n\r\n', frame: 4 },
      { t: 'data', dir: 'toClient', off: 0, data: 'HTTP/1.1 200 OK\r\n', frame: 5 },
      { t: 'close', reason: 'fin', frame: 7 },
    ]);
    expect(r.stats).toEqual({
      streams: 1,
      active: 0,
      bytes: 35,
      gaps: 0,
      overlaps: 0,
      conflictingOverlaps: 0,
      evicted: 0,
    });
  });

  it('reorders out-of-order segments and drops exact retransmissions as non-conflicting overlaps', () => {
    const { events, r } = run([
      ...handshake,
      { fromA: true, seq: ISN_A + 6, flags: ACK, data: 'world' },
      { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'hello' },
      { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'hello' },
    ]);
    expect(events.slice(1)).toEqual([
      { t: 'data', dir: 'toServer', off: 0, data: 'hello', frame: 5 },
      { t: 'data', dir: 'toServer', off: 5, data: 'world', frame: 5 },
      { t: 'overlap', dir: 'toServer', off: 0, len: 5, conflicting: false },
      { t: 'close', reason: 'end', frame: 6 },
    ]);
    expect(r.stats.overlaps).toBe(1);
    expect(r.stats.conflictingOverlaps).toBe(0);
  });

  it('keeps the first copy and reports a conflicting overlap when a retransmission differs (injection)', () => {
    const { events, r } = run([
      ...handshake,
      { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'rm -rf /tmp/x' },
      { fromA: true, seq: ISN_A + 4, flags: ACK, data: 'ls -la' }, // differs from '-rf /t' at offset 3
      { fromA: true, seq: ISN_A + 20, flags: ACK, data: 'LATER' },
      { fromA: true, seq: ISN_A + 18, flags: ACK, data: 'abXXXX' }, // overlaps buffered 'LATER' by 4 bytes, same? no
    ]);
    expect(events.slice(1)).toEqual([
      { t: 'data', dir: 'toServer', off: 0, data: 'rm -rf /tmp/x', frame: 4 },
      { t: 'overlap', dir: 'toServer', off: 3, len: 6, conflicting: true },
      { t: 'overlap', dir: 'toServer', off: 19, len: 4, conflicting: true },
      { t: 'gap', dir: 'toServer', off: 13, len: 4 },
      { t: 'data', dir: 'toServer', off: 17, data: 'ab', frame: 7 },
      { t: 'data', dir: 'toServer', off: 19, data: 'LATER', frame: 7 },
      { t: 'close', reason: 'end', frame: 7 },
    ]);
    expect(r.stats.conflictingOverlaps).toBe(2);
    expect(r.stats.gaps).toBe(1);
  });

  it('skips a hole as a gap when the peer acknowledges beyond it (capture loss)', () => {
    const { events } = run(
      [
        ...handshake,
        { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'aaaa' },
        // 'bbbb' at +5 was never captured
        { fromA: true, seq: ISN_A + 9, flags: ACK, data: 'cccc' },
        { fromA: false, seq: ISN_B + 1, ack: ISN_A + 13, flags: ACK },
      ],
      undefined,
      false,
    );
    expect(events.slice(1)).toEqual([
      { t: 'data', dir: 'toServer', off: 0, data: 'aaaa', frame: 4 },
      { t: 'gap', dir: 'toServer', off: 4, len: 4 },
      { t: 'data', dir: 'toServer', off: 8, data: 'cccc', frame: 6 },
    ]);
  });

  it('skips holes when the per-direction buffer cap is reached instead of stalling', () => {
    const { events } = run(
      [
        ...handshake,
        { fromA: true, seq: ISN_A + 11, flags: ACK, data: '0123456789' },
        { fromA: true, seq: ISN_A + 21, flags: ACK, data: 'abcdefghij' },
        { fromA: true, seq: ISN_A + 41, flags: ACK, data: 'KLMNOPQRST' },
      ],
      // Room for the first two 10-byte segments (each charged SEGMENT_COST too), not the third.
      { maxBufferedPerDirection: 25 + 2 * SEGMENT_COST },
      false,
    );
    expect(events.slice(1)).toEqual([
      { t: 'gap', dir: 'toServer', off: 0, len: 10 },
      { t: 'data', dir: 'toServer', off: 10, data: '0123456789', frame: 6 },
      { t: 'data', dir: 'toServer', off: 20, data: 'abcdefghij', frame: 6 },
    ]);
  });

  it('charges each buffered segment its bookkeeping: tiny out-of-order segments cannot pile up', () => {
    // 5000 one-byte segments, each past a one-byte hole: under a byte-only cap all would be kept.
    const segs: Seg[] = [...handshake];
    for (let k = 0; k < 5000; k++) segs.push({ fromA: true, seq: ISN_A + 2 + 2 * k, flags: ACK, data: 'x' });
    const { sink, events } = recorder();
    const cap = 100 * (1 + SEGMENT_COST);
    const r = new TcpReassembler(sink, { maxBufferedPerDirection: cap, maxBufferedTotal: 10 * cap });
    const p = new DecodedPacket();
    let most = 0;
    segs.forEach((s, i) => {
      r.onSegment(packet(p, s, i + 1));
      expect(r.totalBuffered).toBeLessThanOrEqual(cap);
      most = Math.max(most, r.totalBuffered);
    });
    // At most 100 segments held at once; each 101st skips the oldest hole and drains what follows it.
    expect(most).toBe(cap);
    r.flush(2000, segs.length);
    expect(r.totalBuffered).toBe(0);
    expect(dataOf(events, 'toServer')).toBe('x'.repeat(5000));
    expect(events.filter((e) => e.t === 'gap')).toHaveLength(5000);
  });

  it('handles 32-bit sequence wrap-around', () => {
    const isn = 0xfffffff8;
    const { events } = run([
      { fromA: true, seq: isn, flags: SYN },
      { fromA: false, seq: ISN_B, ack: isn + 1, flags: SYN | ACK },
      { fromA: true, seq: 0xfffffff9, flags: ACK | PSH, data: 'abcdefghij' }, // crosses 2^32
      { fromA: true, seq: 0x0000000b, flags: ACK | PSH, data: 'XYZ' }, // arrives before the middle
      { fromA: true, seq: 0x00000003, flags: ACK | PSH, data: 'klmnopqr' },
    ]);
    expect(dataOf(events, 'toServer')).toBe('abcdefghijklmnopqrXYZ');
    expect(events.filter((e) => e.t === 'gap')).toEqual([]);
  });

  it('picks up a stream mid-way: higher port is the client, offsets count from the first byte seen', () => {
    const { events } = run([
      { fromA: false, seq: 77777, flags: ACK | PSH, data: '220 ready\r\n' },
      { fromA: true, seq: 123, flags: ACK | PSH, data: 'USER x\r\n' },
    ]);
    expect(events).toEqual([
      { t: 'open', id: '10.0.0.1:40000-10.0.0.2:80#1' },
      { t: 'data', dir: 'toClient', off: 0, data: '220 ready\r\n', frame: 1 },
      { t: 'data', dir: 'toServer', off: 0, data: 'USER x\r\n', frame: 2 },
      { t: 'close', reason: 'end', frame: 2 },
    ]);
  });

  it('creates no stream for pure ACK / RST / FIN segments of unknown connections', () => {
    const { events, r } = run([
      { fromA: true, seq: 1, ack: 9, flags: ACK },
      { fromA: true, seq: 1, flags: RST },
      { fromA: false, seq: 1, flags: FIN | ACK },
    ]);
    expect(events).toEqual([]);
    expect(r.stats.streams).toBe(0);
  });

  it('RST delivers pending bytes with gaps and closes; late segments within the linger are ignored', () => {
    const { events } = run([
      ...handshake,
      { fromA: true, seq: ISN_A + 5, flags: ACK, data: 'tail' },
      { fromA: false, seq: ISN_B + 1, flags: RST | ACK },
      { fromA: true, seq: ISN_A + 9, flags: ACK, data: 'late' },
    ]);
    expect(events.slice(1)).toEqual([
      { t: 'gap', dir: 'toServer', off: 0, len: 4 },
      { t: 'data', dir: 'toServer', off: 4, data: 'tail', frame: 5 },
      { t: 'close', reason: 'rst', frame: 5 },
    ]);
  });

  it('a new SYN with another ISN on the same 4-tuple starts a new connection id', () => {
    const { events } = run([
      ...handshake,
      { fromA: true, seq: 90000, flags: SYN },
      { fromA: true, seq: 90001, flags: ACK, data: 'x' },
    ]);
    expect(events).toEqual([
      { t: 'open', id: '10.0.0.1:40000-10.0.0.2:80#1' },
      { t: 'close', reason: 'end', frame: 4 },
      { t: 'open', id: '10.0.0.1:40000-10.0.0.2:80#2' },
      { t: 'data', dir: 'toServer', off: 0, data: 'x', frame: 5 },
      { t: 'close', reason: 'end', frame: 5 },
    ]);
  });

  it('expires idle streams by packet time and evicts the oldest beyond maxStreams', () => {
    const { sink, events } = recorder();
    const r = new TcpReassembler(sink, { idleTimeout: 10, maxStreams: 2 });
    const p = new DecodedPacket();
    const seg = (port: number, t: number, frame: number): DecodedPacket => {
      packet(p, { fromA: true, seq: 1, flags: ACK, data: 'z', time: t }, frame);
      p.srcPort = port;
      return p;
    };
    r.onSegment(seg(50001, 100, 1));
    r.onSegment(seg(50002, 105, 2));
    r.expire(111, 2); // 50001 idle 11 s
    r.onSegment(seg(50003, 112, 3));
    r.onSegment(seg(50004, 113, 4)); // 3 streams > max 2: evict 50002
    expect(events.filter((e) => e.t === 'close')).toEqual([
      { t: 'close', reason: 'timeout', frame: 2 },
      { t: 'close', reason: 'evicted', frame: 4 },
    ]);
    expect(r.stats.evicted).toBe(1);
    expect(r.stats.active).toBe(2);
  });

  it('snapshot/restore through JSON mid-stream (with a pending hole) gives the same events as one pass', () => {
    const segs: Seg[] = [
      ...handshake,
      { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'one ' },
      { fromA: true, seq: ISN_A + 9, flags: ACK, data: 'three ' },
      { fromA: false, seq: ISN_B + 1, flags: ACK, data: 'reply' },
      { fromA: true, seq: ISN_A + 5, flags: ACK, data: 'twoX' }, // fills the hole
      { fromA: true, seq: ISN_A + 5, flags: ACK, data: 'two ' }, // conflicting retransmission
      { fromA: true, seq: ISN_A + 15, flags: FIN | ACK },
      { fromA: false, seq: ISN_B + 6, flags: FIN | ACK },
    ];
    const whole = run(segs).events;
    for (let cut = 0; cut <= segs.length; cut++) {
      const first = recorder();
      const r1 = new TcpReassembler(first.sink);
      const p = new DecodedPacket();
      for (let i = 0; i < cut; i++) r1.onSegment(packet(p, segs[i], i + 1));
      const state = JSON.parse(JSON.stringify(r1.snapshot()));
      const second = recorder();
      const r2 = new TcpReassembler(second.sink);
      r2.restore(state);
      for (let i = cut; i < segs.length; i++) r2.onSegment(packet(p, segs[i], i + 1));
      r2.flush(2000, segs.length);
      expect([...first.events, ...second.events]).toEqual(whole);
    }
    expect(whole.filter((e) => e.t === 'overlap')).toEqual([
      { t: 'overlap', dir: 'toServer', off: 4, len: 4, conflicting: true },
    ]);
  });

  it('closeEventsForSilentConnections: false skips close events only for connections that never emitted', () => {
    const scan: Seg[] = [
      { fromA: true, seq: ISN_A, flags: SYN },
      { fromA: false, seq: 0, ack: ISN_A + 1, flags: RST | ACK },
    ];
    const talk: Seg[] = [
      { fromA: true, seq: ISN_A, flags: SYN, time: 1100 },
      { fromA: true, seq: ISN_A + 1, flags: ACK, data: 'hi', time: 1100.1 },
      { fromA: true, seq: ISN_A + 3, flags: RST, time: 1100.2 },
    ];
    const sinkWithout = (events: Ev[]): StreamSink => ({
      onData: (e) =>
        events.push({ t: 'data', dir: e.dir, off: e.streamOffset, data: e.data.toString('latin1'), frame: e.frame }),
      onClose: (e) =>
        events.push({ t: 'close', reason: `${e.reason} ${e.conn.id} ${e.conn.client.ip}`, frame: e.frame }),
    });
    const drive = (silent: boolean): Ev[] => {
      const events: Ev[] = [];
      const r = new TcpReassembler(sinkWithout(events), { closeEventsForSilentConnections: silent });
      const p = new DecodedPacket();
      [...scan, ...talk].forEach((s, i) => r.onSegment(packet(p, s, i + 1)));
      r.flush(2000, 5);
      return events;
    };
    const talked: Ev[] = [
      { t: 'data', dir: 'toServer', off: 0, data: 'hi', frame: 4 },
      { t: 'close', reason: 'rst 10.0.0.1:40000-10.0.0.2:80#2 10.0.0.1', frame: 5 },
    ];
    expect(drive(true)).toEqual([
      { t: 'close', reason: 'rst 10.0.0.1:40000-10.0.0.2:80#1 10.0.0.1', frame: 2 },
      ...talked,
    ]);
    expect(drive(false)).toEqual(talked);
  });

  it('snapshots a connection never reported with the ConnectionInfo events would have shown', () => {
    const r = new TcpReassembler({}, { closeEventsForSilentConnections: false });
    const p = new DecodedPacket();
    r.onSegment(packet(p, { fromA: false, seq: ISN_B, flags: ACK, data: 'x', time: 1234.5 }, 1));
    expect(r.snapshot().streams.map((s) => s.conn)).toEqual([
      {
        id: '10.0.0.1:40000-10.0.0.2:80#1',
        transport: 'tcp',
        client: { ip: '10.0.0.1', port: 40000 },
        server: { ip: '10.0.0.2', port: 80 },
        startTime: 1234.5,
      },
    ]);
  });
});
