import { join } from 'node:path';
import { FIXTURES, SHARED_PCAPS } from '../../test/support/paths';
import { endOfCaptureNotes } from './analysis-notes';
import { analyzeCapture } from './analyze-capture';
import { readCapture } from './capture/read-capture';
import { resolveConfig } from './config';
import type { Detector } from './detectors/detector';
import { createDetectors } from './detectors/registry';
import type { ConnectionInfo, HttpRequestEvent, StreamDataEvent } from './events';
import type { Finding } from './finding';
import { Pipeline, type PipelineState } from './pipeline';
import { ProtocolDispatcher } from './protocols/protocol-dispatcher';

/**
 * No exception inside one parser or detector ends an analysis (issue 13): it is contained where it
 * was thrown, counted, reported in `errors`, and everything else is analysed as without it.
 */
const HTTP = join(SHARED_PCAPS, 'attacks', 'http-basic-and-form.pcap');
const EDGE = join(FIXTURES, 'tls-edge-certs', 'input.pcap');

/** Throws on every packet whose frame number is a multiple of `every`, and on every HTTP request. */
class BrokenDetector implements Detector<null> {
  readonly id = 'broken';
  snapshot(): null {
    return null;
  }
  restore(): void {}
  constructor(private readonly every: number) {}
  onPacket(p: { frame: number }): void {
    if (p.frame % this.every === 0) throw new TypeError(`broken at ${p.frame}\nsecond line`);
  }
  onHttpRequest(): void {
    throw new RangeError('request');
  }
}

async function run(
  file: string,
  extra: Detector[],
  opts: { containErrors?: boolean; splitAt?: number } = {},
): Promise<{ pipeline: Pipeline; findings: Finding[]; packets: number }> {
  const config = resolveConfig();
  const make = () =>
    new Pipeline({
      captureId: 'c',
      detectors: [...createDetectors(config), ...extra],
      config,
      containErrors: opts.containErrors,
    });
  let pipeline = make();
  let n = 0;
  await readCapture(file, {
    source: file,
    onPacket: (r) => {
      if (++n === opts.splitAt) {
        // A chunk boundary: the next chunk runs on a fresh pipeline restored from JSON.
        const state = JSON.parse(JSON.stringify(pipeline.snapshot())) as PipelineState;
        pipeline = make();
        pipeline.restore(state);
      }
      pipeline.push(r);
    },
  });
  pipeline.finish();
  return { pipeline, findings: pipeline.findings(), packets: n };
}

describe('errors contained inside the pipeline', () => {
  it('a detector that throws costs only its own calls: every other finding is the same as without it', async () => {
    const clean = await run(HTTP, []);
    const broken = await run(HTTP, [new BrokenDetector(3)]);
    expect(broken.findings).toEqual(clean.findings);
    expect(clean.findings.length).toBeGreaterThan(0);
    const requests = clean.findings.find((f) => f.detector === 'cleartext-http')!.evidence.requests as number;
    expect(broken.pipeline.containedErrors()).toEqual({
      'detector broken': {
        count: Math.floor(broken.packets / 3) + requests,
        frame: 3,
        message: 'TypeError: broken at 3 second line',
      },
    });
    expect(clean.pipeline.containedErrors()).toEqual({});
  });

  it('the count carries across chunks: split anywhere, the same findings and the same contained errors', async () => {
    const whole = await run(HTTP, [new BrokenDetector(4)]);
    for (const at of [2, 7, 20]) {
      const split = await run(HTTP, [new BrokenDetector(4)], { splitAt: at });
      expect(split.findings).toEqual(whole.findings);
      expect(split.pipeline.containedErrors()).toEqual(whole.pipeline.containedErrors());
    }
  });

  it('is reported in errors by analyze, after the findings dropped note, one line per place', async () => {
    const { pipeline } = await run(HTTP, [new BrokenDetector(2)]);
    const notes = endOfCaptureNotes('x.pcap', pipeline);
    expect(notes).toHaveLength(1);
    expect(notes[0].offset).toBe(-1);
    expect(notes[0].message).toMatch(
      /^x\.pcap: internal error in detector broken, contained \d+ times \(first at frame 2: TypeError: broken at 2 second line\); the rest of the capture was analysed$/,
    );
  });

  it('containErrors: false lets the exception through (for the fuzzers)', async () => {
    await expect(run(HTTP, [new BrokenDetector(3)], { containErrors: false })).rejects.toThrow('broken at 3');
  });

  it('a clean analysis of the certificate edge cases reports no contained error', async () => {
    const a = await analyzeCapture(EDGE, 'edge', { config: resolveConfig() });
    expect(a.errors).toEqual([]);
  });
});

describe('a parser that throws retires its own connection only', () => {
  const conn = (port: number): ConnectionInfo => ({
    id: `10.0.0.1:${port}-10.0.0.2:80#1`,
    transport: 'tcp',
    client: { ip: '10.0.0.1', port },
    server: { ip: '10.0.0.2', port: 80 },
    startTime: 0,
  });
  const data = (c: ConnectionInfo, s: string, frame: number, streamOffset = 0): StreamDataEvent => ({
    conn: c,
    dir: 'toServer',
    data: Buffer.from(s, 'latin1'),
    streamOffset,
    frame,
    time: frame,
  });
  const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`;

  it('the connection whose parse threw is ignored from then on; the others go on; the error is reported once', () => {
    const seen: string[] = [];
    const errors: Array<[string, string]> = [];
    const d = new ProtocolDispatcher(
      {
        onHttpRequest: (e: HttpRequestEvent) => {
          if (e.target === '/boom') throw new Error('parser state broken');
          seen.push(`${e.conn.client.port}${e.target}`);
        },
      },
      new Set(['http']),
      undefined,
      (protocol, err) => errors.push([protocol, (err as Error).message]),
    );
    const a = conn(40001);
    const b = conn(40002);
    d.onData(data(a, GET('/boom'), 1));
    d.onData(data(b, GET('/one'), 2));
    const second = GET('/after');
    d.onData(data(a, second, 3, GET('/boom').length));
    d.onData(data(b, GET('/two'), 4, GET('/one').length));
    d.onClose({ conn: a, reason: 'fin', frame: 5, time: 5 });
    d.onClose({ conn: b, reason: 'fin', frame: 6, time: 6 });
    expect(seen).toEqual(['40002/one', '40002/two']);
    expect(errors).toEqual([['http', 'parser state broken']]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('without an error handler the exception propagates (standalone use, tests)', () => {
    const d = new ProtocolDispatcher(
      {
        onHttpRequest: () => {
          throw new Error('x');
        },
      },
      new Set(['http']),
    );
    expect(() => d.onData(data(conn(40003), GET('/'), 1))).toThrow('x');
  });
});
