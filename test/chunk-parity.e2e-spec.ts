import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { resolveConfig } from '../src/engine/config';
import type { Detector } from '../src/engine/detectors/detector';
import { createDetectors } from '../src/engine/detectors/registry';
import type { Finding } from '../src/engine/finding';
import { Pipeline, type PipelineState } from '../src/engine/pipeline';
import { cutPoints, loadRecords, toRecord, type Rec } from './support/capture-records';
import { SHARED_PCAPS, capturesIn, fixtureCaptures } from './support/paths';

/**
 * DESIGN §1/§4: a capture cut into chunks at any packet boundary, each chunk run on a fresh
 * Pipeline restored from the previous chunk's snapshot (through JSON, as a worker would), gives
 * exactly the findings — and every protocol event — of one pass over the whole capture.
 */

/** Every event a detector could subscribe to, reduced to a comparable line. */
function eventRecorder(log: string[]): Partial<Detector> {
  const line = (kind: string, e: object) =>
    log.push(
      `${kind} ${JSON.stringify(e, (_k, v: unknown) => {
        if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') {
          const data = Buffer.from((v as { data: number[] }).data);
          return `buf:${data.length}:${createHash('sha1').update(data).digest('hex')}`;
        }
        return v;
      })}`,
    );
  return {
    onStreamData: (e) => line('data', e),
    onStreamGap: (e) => line('gap', e),
    onStreamOverlap: (e) => line('overlap', e),
    onStreamClose: (e) => line('close', e),
    onDns: (e) => line('dns', e),
    onTlsClientHello: (e) => line('clienthello', e),
    onTlsServerHello: (e) => line('serverhello', e),
    onTlsCertificate: (e) => line('cert', e),
    onHttpRequest: (e) => line('httpreq', e),
    onHttpResponse: (e) => line('httpresp', e),
    onLineCommand: (e) => line('cmd', e),
    onLineReply: (e) => line('reply', e),
    onTelnetText: (e) => line('telnet', e),
  };
}

function newPipeline(log: string[]): Pipeline {
  const config = resolveConfig();
  return new Pipeline({
    captureId: 'parity',
    detectors: createDetectors(config),
    config,
    protocols: 'all',
    observers: [eventRecorder(log)],
  });
}

function singlePass(recs: Rec[]): { findings: Finding[]; events: string[] } {
  const events: string[] = [];
  const p = newPipeline(events);
  recs.forEach((r, i) => p.push(toRecord(r, i + 1)));
  p.finish();
  return { findings: p.findings(), events };
}

function chunked(recs: Rec[], cuts: number[]): { findings: Finding[]; events: string[] } {
  const events: string[] = [];
  let state: PipelineState | null = null;
  let last: Pipeline | null = null;
  const bounds = [0, ...cuts, recs.length];
  for (let c = 0; c + 1 < bounds.length; c++) {
    const p = newPipeline(events);
    if (state) p.restore(JSON.parse(JSON.stringify(state)) as PipelineState);
    // Readers number frames per chunk from 1; the pipeline must keep them global.
    for (let i = bounds[c]; i < bounds[c + 1]; i++) p.push(toRecord(recs[i], i - bounds[c] + 1));
    state = p.snapshot();
    last = p;
  }
  last!.finish();
  return { findings: last!.findings(), events };
}

const files = [
  ...fixtureCaptures(),
  ...capturesIn(join(SHARED_PCAPS, 'attacks')),
  ...capturesIn(join(SHARED_PCAPS, 'public')),
];

describe('chunk-split parity', () => {
  it('has captures to check', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it.each(files.map((f) => [basename(f), f]))('%s: chunked runs equal the single pass', (_name, file) => {
    const recs = loadRecords(file);
    const whole = singlePass(recs);
    if (recs.length < 2) return;
    // Many small chunks, a few big ones, and every boundary for small captures.
    const plans = [cutPoints(recs.length, 3, 1), cutPoints(recs.length, 25, 2), cutPoints(recs.length, 200, 3)];
    if (recs.length <= 120) plans.push(Array.from({ length: recs.length - 1 }, (_, i) => i + 1));
    for (const cuts of plans) {
      const split = chunked(recs, cuts);
      expect(split.findings).toEqual(whole.findings);
      expect(split.events.length).toBe(whole.events.length);
      expect(split.events).toEqual(whole.events);
    }
  });

  it('is not vacuous: the captures produce findings and protocol events', () => {
    const anomalies = singlePass(loadRecords(join(__dirname, '..', 'fixtures', 'anomalies', 'input.pcap')));
    expect(anomalies.findings.length).toBeGreaterThan(5);
    const ftp = singlePass(loadRecords(join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap')));
    expect(ftp.events.some((e) => e.startsWith('cmd ') && e.includes('"command":"USER"'))).toBe(true);
    const tls = singlePass(loadRecords(join(SHARED_PCAPS, 'attacks', 'tls-cert-change-a.pcap')));
    expect(tls.events.filter((e) => e.startsWith('cert ')).length).toBe(2);
  });
});
