import type { ConnectionInfo, Direction, StreamDataEvent } from '../../src/engine/events';
import { ALL_PROTOCOLS, recordingHandlers, type RecordedEvent } from '../../src/engine/protocols/capture-harness';
import { ProtocolDispatcher, type ProtocolHandlers } from '../../src/engine/protocols/protocol-dispatcher';

/** A TCP connection 10.0.0.1:50000 → 10.0.0.2:port. */
export function conn(port: number): ConnectionInfo {
  return {
    id: `10.0.0.1:50000-10.0.0.2:${port}#1`,
    transport: 'tcp',
    client: { ip: '10.0.0.1', port: 50000 },
    server: { ip: '10.0.0.2', port },
    startTime: 0,
  };
}

export type Msg = [Direction, Buffer];

/**
 * Messages through a ProtocolDispatcher with every parser on (frame = message index + 1), then a
 * close; optionally message `at` is cut at byte `cut` with snapshot → JSON → restore between.
 */
export function feed(
  c: ConnectionInfo,
  msgs: Msg[],
  split?: { at: number; cut: number },
  extra: Partial<ProtocolHandlers> = {},
): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  const handlers = () => ({ ...recordingHandlers(out), ...extra });
  let d = new ProtocolDispatcher(handlers(), ALL_PROTOCOLS);
  const offs = [0, 0];
  msgs.forEach(([dir, data], i) => {
    const ev = (b: Buffer): StreamDataEvent => {
      const k = dir === 'toServer' ? 0 : 1;
      const e = { conn: c, dir, data: b, streamOffset: offs[k], frame: i + 1, time: i + 1 };
      offs[k] += b.length;
      return e;
    };
    if (split !== undefined && split.at === i) {
      d.onData(ev(data.subarray(0, split.cut)));
      const state = JSON.parse(JSON.stringify(d.snapshot()));
      d = new ProtocolDispatcher(handlers(), ALL_PROTOCOLS);
      d.restore(state);
      d.onData(ev(data.subarray(split.cut)));
    } else d.onData(ev(data));
  });
  d.onClose({ conn: c, reason: 'fin', frame: msgs.length + 1, time: msgs.length + 1 });
  return out;
}

/** Events without conn/time, for toEqual. */
export function brief(ev: RecordedEvent[]): Array<[string, Record<string, unknown>]> {
  return ev.map(([k, e]) => {
    const x = { ...(e as Record<string, unknown>) };
    delete x.conn;
    delete x.time;
    return [k, x] as [string, Record<string, unknown>];
  });
}

/** The events must not depend on where a message is cut or on snapshot/restore. */
export function sameAtEverySplit(c: ConnectionInfo, msgs: Msg[]): string {
  const whole = JSON.stringify(brief(feed(c, msgs)));
  msgs.forEach(([, m], at) => {
    for (let cut = 0; cut <= m.length; cut++) {
      const got = JSON.stringify(brief(feed(c, msgs, { at, cut })));
      if (got !== whole) throw new Error(`message ${at} cut at ${cut}: ${got} != ${whole}`);
    }
  });
  return whole;
}

/**
 * Hostile input: `count` pseudo-random messages (message i is `length(i)` bytes from a seeded
 * LCG, so a failure replays, then `stamp` gives it a plausible start so it gets past sniffing
 * into the parser), each fed in both directions of conn(port). Throws where a parser throws:
 * specs assert `expect(() => feedRandomMessages(...)).not.toThrow()`.
 */
export function feedRandomMessages(
  port: number,
  seed: number,
  count: number,
  length: (i: number) => number,
  stamp: (b: Buffer) => void,
): void {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(Array.from({ length: length(i) }, rnd));
    stamp(b);
    feed(conn(port), [
      ['toServer', b],
      ['toClient', b],
    ]);
  }
}
