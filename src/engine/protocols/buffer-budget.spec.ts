import { join } from 'node:path';
import { toRecord } from '../../../test/support/frame-builder';
import { SHARED_PCAPS, capturesIn } from '../../../test/support/paths';
import { TcpConversation, Timeline, host } from '../../../test/support/traffic';
import { readCapture } from '../capture/read-capture';
import { resolveConfig, type EngineConfig } from '../config';
import type { Detector } from '../detectors/detector';
import type { HttpRequestEvent, TlsClientHelloEvent } from '../events';
import { Pipeline, type PipelineState } from '../pipeline';

/**
 * The dispatcher's global budget for bytes held by protocol parsers (protocols.maxBufferedBytes):
 * many connections each holding a partial HTTP body or TLS handshake stay under it after every
 * packet, the least recently active holders are evicted (and counted), the running total agrees
 * with a recount from a snapshot, and chunked runs evict exactly as a single pass.
 */

const CLIENT = host('10.0.0.1', 1);
const SERVER = host('10.0.0.2', 2);

const N = 30;
const BODY = 20000;
const POST = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n';
/** What the HTTP parser holds after that head and BODY body bytes: the head's strings and the body. */
const HTTP_HELD =
  'POST'.length +
  '/upload'.length +
  'HTTP/1.1'.length +
  'Host'.length +
  'x'.length +
  'Content-Length'.length +
  '100000'.length +
  BODY;
/** Room for 5 such connections, and for connection 0's extra 1000 bytes, not for a 6th. */
const HTTP_BUDGET = Math.floor(5.5 * HTTP_HELD);

/** One TLS record carrying the first 16000 bytes of a ClientHello that claims 200000. */
function partialClientHello(): Buffer {
  const body = Buffer.alloc(16000, 0x41);
  body[0] = 1; // ClientHello
  body.writeUIntBE(200000, 1, 3);
  const rec = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
  rec.writeUInt16BE(body.length, 3);
  return Buffer.concat([rec, body]);
}
/** The TLS parser holds the record's whole body as handshake bytes. */
const TLS_HELD = 16000;

function config(maxBufferedBytes?: number): EngineConfig {
  return resolveConfig(maxBufferedBytes === undefined ? undefined : { protocols: { maxBufferedBytes } });
}

interface Recorded {
  requests: Array<{ sport: number; target: string; frame: number; bodyLength: number }>;
  hellos: number;
}

function recorder(out: Recorded): Partial<Detector> {
  return {
    onHttpRequest: (e: HttpRequestEvent) =>
      out.requests.push({ sport: e.conn.client.port, target: e.target, frame: e.frame, bodyLength: e.bodyLength }),
    onTlsClientHello: (_e: TlsClientHelloEvent) => out.hellos++,
  };
}

function pipeline(cfg: EngineConfig, out: Recorded): Pipeline {
  return new Pipeline({
    captureId: 'budget',
    detectors: [],
    config: cfg,
    protocols: 'all',
    observers: [recorder(out)],
  });
}

interface Run {
  out: Recorded;
  evictions: number | undefined;
  peak: number;
  final: number;
}

/**
 * Push every frame, asserting after each that the parsers hold no more than the budget and that
 * the running total equals what a restore recounts from the snapshot. `chunked`: a fresh pipeline
 * restored from JSON after every packet.
 */
function runTimeline(t: Timeline, cfg: EngineConfig, chunked = false): Run {
  const out: Recorded = { requests: [], hellos: 0 };
  let p = pipeline(cfg, out);
  let peak = 0;
  t.frames.forEach((f, i) => {
    p.push(toRecord(f.data, { time: f.time, frame: i + 1 }));
    const held = p.protocolStats()!.bufferedBytes;
    expect(held).toBeLessThanOrEqual(cfg.protocols.maxBufferedBytes);
    peak = Math.max(peak, held);
    const state = JSON.parse(JSON.stringify(p.snapshot())) as PipelineState;
    const again = pipeline(cfg, { requests: [], hellos: 0 });
    again.restore(state);
    expect(again.protocolStats()!.bufferedBytes).toBe(held);
    if (chunked) {
      p = pipeline(cfg, out);
      p.restore(state);
    }
  });
  p.finish();
  const st = p.protocolStats()!;
  return { out, evictions: st.budgetEvictions, peak, final: st.bufferedBytes };
}

/**
 * N connections, each a POST whose body stops after BODY of 100000 bytes. Connection 0 sends 1000
 * more bytes after connection 4 (so it is no longer the least recently active), and connection 1,
 * once evicted, sends what looks like a new request from mid-body. All close at the end.
 * Returns the sessions and the frame of each connection's first body segment.
 */
function partialPosts(): { t: Timeline; frames: number[]; sports: number[] } {
  const t = new Timeline();
  const sessions: TcpConversation[] = [];
  for (let k = 0; k < N; k++) sessions.push(new TcpConversation(t, CLIENT, SERVER, 40000 + k, 80, k * 0.001).open());
  const frames: number[] = [];
  sessions.forEach((s, k) => {
    frames.push(s.c(POST + 'a'.repeat(BODY)));
    if (k === 4) sessions[0].c('b'.repeat(1000));
  });
  sessions[1].c('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
  sessions.forEach((s) => s.close());
  return { t, frames, sports: sessions.map((s) => s.sport) };
}

describe('protocol parser buffer budget (protocols.maxBufferedBytes)', () => {
  it('keeps many partial HTTP bodies under the budget, evicting the least recently active first', () => {
    const { t, frames, sports } = partialPosts();
    const r = runTimeline(t, config(HTTP_BUDGET));
    // Five connections fit: every further one evicts one.
    expect(r.evictions).toBe(N - 5);
    expect(r.final).toBe(0);
    // Every POST is reported once, cut where its parser stopped; nothing from the smuggled bytes.
    expect(r.out.requests).toHaveLength(N);
    expect(r.out.requests.filter((q) => q.target !== '/upload')).toEqual([]);
    const at = new Map(r.out.requests.map((q) => [q.sport, q]));
    expect(at.get(sports[0])!.bodyLength).toBe(BODY + 1000);
    for (let k = 1; k < N; k++) expect(at.get(sports[k])!.bodyLength).toBe(BODY);
    // LRU order after connection 0's extra bytes: 1, 2, 3, 4, 0, 5, 6, …: connection 5's body
    // evicts 1, …, 8's evicts 4, 9's evicts 0, then k's evicts k - 5.
    expect(at.get(sports[1])!.frame).toBe(frames[5]);
    expect(at.get(sports[4])!.frame).toBe(frames[8]);
    expect(at.get(sports[0])!.frame).toBe(frames[9]);
    for (let k = 5; k < N - 5; k++) expect(at.get(sports[k])!.frame).toBe(frames[k + 5]);
    // The last five are still whole at the end and reported when they close.
    for (let k = N - 5; k < N; k++) expect(at.get(sports[k])!.frame).toBeGreaterThan(frames[N - 1]);
  });

  it('evicts the same connections at the same packets when the capture comes in chunks', () => {
    const { t } = partialPosts();
    const whole = runTimeline(t, config(HTTP_BUDGET));
    const chunked = runTimeline(t, config(HTTP_BUDGET), true);
    expect(chunked.evictions).toBe(whole.evictions);
    expect(chunked.out).toEqual(whole.out);
  });

  it('leaves the same capture alone under the default budget', () => {
    const { t, frames, sports } = partialPosts();
    const r = runTimeline(t, config());
    expect(r.evictions).toBeUndefined();
    // All N held at once (connection 0 with its extra bytes), the smuggled request reported as
    // HTTP sees it (body bytes of a 100000-byte body), nothing left after the close.
    expect(r.peak).toBe(N * HTTP_HELD + 1000 + 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'.length);
    expect(r.final).toBe(0);
    expect(r.out.requests).toHaveLength(N);
    for (const q of r.out.requests) expect(q.frame).toBeGreaterThan(frames[N - 1]);
    expect(new Set(r.out.requests.map((q) => q.sport))).toEqual(new Set(sports));
  });

  it('keeps many partial TLS handshakes under the budget', () => {
    const t = new Timeline();
    const sessions: TcpConversation[] = [];
    for (let k = 0; k < N; k++) sessions.push(new TcpConversation(t, CLIENT, SERVER, 41000 + k, 443, k * 0.001).open());
    for (const s of sessions) s.c(partialClientHello());
    sessions.forEach((s) => s.close());
    const budget = 100000;
    const r = runTimeline(t, config(budget));
    expect(r.evictions).toBe(N - Math.floor(budget / TLS_HELD));
    expect(r.peak).toBe(Math.floor(budget / TLS_HELD) * TLS_HELD);
    expect(r.final).toBe(0);
    expect(r.out.hellos).toBe(0);

    const free = runTimeline(t, config());
    expect(free.evictions).toBeUndefined();
    expect(free.peak).toBe(N * TLS_HELD);
  });

  const captures = [...capturesIn(join(SHARED_PCAPS, 'public')), ...capturesIn(join(SHARED_PCAPS, 'attacks'))];
  (captures.length ? it : it.skip)(
    'changes nothing on the shared captures: no eviction, nothing held after the end',
    async () => {
      for (const file of captures) {
        const runs: Array<{ out: Recorded; evictions?: number; final: number }> = [];
        for (const cfg of [config(), config(Number.MAX_SAFE_INTEGER)]) {
          const out: Recorded = { requests: [], hellos: 0 };
          const p = pipeline(cfg, out);
          await readCapture(file, { onPacket: (rec) => p.push(rec) });
          p.finish();
          const st = p.protocolStats()!;
          runs.push({ out, evictions: st.budgetEvictions, final: st.bufferedBytes });
        }
        expect({ file, ...runs[0] }).toEqual({ file, ...runs[1] });
        expect({ file, evictions: runs[0].evictions, final: runs[0].final }).toEqual({
          file,
          evictions: undefined,
          final: 0,
        });
      }
    },
  );
});
