import { toRecord, type Rec } from './capture-records';
import { resolveConfig } from '../../src/engine/config';
import { createDetectors } from '../../src/engine/detectors/registry';
import type { Finding } from '../../src/engine/finding';
import { Pipeline, type PipelineState, type PipelineStats } from '../../src/engine/pipeline';
import {
  TrafficSummary,
  type SummaryDelta,
  type TrafficSummaryOptions,
  type TrafficSummaryState,
} from '../../src/engine/summary/traffic-summary';

/**
 * Runs a capture through the Pipeline (every detector, as the worker does) with the traffic
 * summary as an observer, whole or cut into chunks restored through JSON — the worker's sequence
 * per chunk: push, takeChangedFindingEntries, summary.takeChanged, snapshot.
 */

export interface ChunkOutput {
  delta: SummaryDelta;
  entries: Array<{ sortKey: string; finding: Finding }>;
}

export interface SummaryRun {
  chunks: ChunkOutput[];
  findings: Finding[];
  stats: PipelineStats;
}

/** `cuts` = record indexes where a new chunk starts ([] = one pass). */
export function runSummary(
  recs: Rec[],
  cuts: number[] = [],
  opts: { captureId?: string; summary?: Partial<TrafficSummaryOptions> } = {},
): SummaryRun {
  const config = resolveConfig();
  const bounds = [0, ...cuts, recs.length];
  let state: { pipeline: PipelineState; summary: TrafficSummaryState } | null = null;
  const chunks: ChunkOutput[] = [];
  let pipeline: Pipeline | null = null;
  for (let c = 0; c + 1 < bounds.length; c++) {
    const summary = new TrafficSummary(opts.summary);
    pipeline = new Pipeline({
      captureId: opts.captureId ?? 'summary',
      detectors: createDetectors(config),
      config,
      observers: [summary.observer()],
    });
    if (state) {
      const s = JSON.parse(JSON.stringify(state)) as typeof state;
      pipeline.restore(s.pipeline);
      summary.restore(s.summary);
    }
    for (let i = bounds[c]; i < bounds[c + 1]; i++) pipeline.push(toRecord(recs[i], i - bounds[c] + 1));
    if (c + 2 === bounds.length) {
      pipeline.finish();
      summary.finish();
    }
    chunks.push({ entries: pipeline.takeChangedFindingEntries(), delta: summary.takeChanged() });
    state = { pipeline: pipeline.snapshot(), summary: summary.snapshot() };
  }
  return { chunks, findings: pipeline!.findings(), stats: pipeline!.getStats() };
}

/** The rows a database would hold after upserting every chunk's delta in order (last write wins). */
export function accumulate(chunks: ChunkOutput[]): Record<keyof SummaryDelta, Map<string, unknown>> {
  const out = { flows: new Map(), hosts: new Map(), tls: new Map(), buckets: new Map() } as Record<
    keyof SummaryDelta,
    Map<string, unknown>
  >;
  for (const { delta } of chunks) {
    for (const r of delta.flows) out.flows.set(String(r.firstFrame), r);
    for (const r of delta.hosts) out.hosts.set(`${r.ip}@${r.firstFrame}`, r);
    for (const r of delta.tls) out.tls.set(`${r.serverIp}|${r.serverPort}|${r.sni}|${r.sha256}@${r.firstFrame}`, r);
    for (const r of delta.buckets) out.buckets.set(`${r.minute}@${r.firstFrame}`, r);
  }
  return out;
}
