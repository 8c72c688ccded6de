import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { BaselineBusyError } from '../captures/capture-baseline';
import { ChunkProcessor, type ChunkOutcome } from '../captures/chunk-processor';
import { ingestCapture } from '../captures/capture-ingest';
import { insertCapture } from '../captures/capture-records';
import { CaptureEntity } from '../captures/capture.entity';
import { StateCipher } from '../captures/state-cipher';
import type { Settings } from '../config/settings';
import type { CaptureAnalysis } from '../engine/analyze-capture';
import type { BaselineMode } from '../engine/baseline/baseline-session';
import type { EngineConfig } from '../engine/config';
import type { DetectorResources } from '../engine/detectors/detector-resources';
import { isoTime } from '../engine/finding';
import type { PipelineStats } from '../engine/pipeline';
import { findingsInEngineOrder } from '../findings/stored-findings';

/**
 * `netwarden analyze --db`: the service's path run in-process — ingest the file into chunk
 * files, record the capture, run every chunk through the workers' ChunkProcessor (no Redis:
 * nothing to enqueue, no events), then report from what was stored, in `analyze`'s shape.
 */
export interface AnalyzeIntoDbOptions {
  dataSource: DataSource;
  settings: Pick<Settings, 'dataDir' | 'secretKey' | 'chunk' | 'upload'>;
  config: EngineConfig;
  captureId: string;
  detectors?: readonly string[];
  resources?: DetectorResources;
  /** The database baseline the capture uses (`--baseline-network`); null/undefined = none. */
  baseline?: { network: string; mode: BaselineMode } | null;
}

export async function analyzeIntoDb(file: string, name: string, o: AnalyzeIntoDbOptions): Promise<CaptureAnalysis> {
  const dir = join(o.settings.dataDir, 'captures', o.captureId);
  const input = file === '-' ? process.stdin : createReadStream(file);
  let ingest;
  try {
    ingest = await ingestCapture(input, {
      dir,
      source: name,
      maxBytes: o.settings.upload.maxBytes,
      chunkMaxBytes: o.settings.chunk.maxBytes,
      chunkMaxPackets: o.settings.chunk.maxPackets,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  await o.dataSource.transaction((tx) =>
    insertCapture(tx, {
      id: o.captureId,
      name,
      source: 'cli',
      ingest,
      detectors: o.detectors ? [...o.detectors] : null,
      baseline: o.baseline ?? null,
    }),
  );
  const processor = new ChunkProcessor({
    dataSource: o.dataSource,
    dataDir: o.settings.dataDir,
    cipher: new StateCipher(o.settings.secretKey),
    config: o.config,
    resources: () => o.resources ?? {},
  });
  let stats: PipelineStats | null = null;
  for (let seq = 0; seq < ingest.chunks.length; seq++) {
    const r: ChunkOutcome = await processChunkWhenFree(processor, o.captureId, seq);
    if (r.kind === 'processed') stats = r.stats;
  }
  const capture = await o.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: o.captureId });
  return {
    file: name,
    packets: stats?.packets ?? 0,
    bytes: stats?.bytes ?? 0,
    firstSeen: stats?.firstTime == null ? null : isoTime(stats.firstTime),
    lastSeen: stats?.lastTime == null ? null : isoTime(stats.lastTime),
    linkTypes: stats?.linkTypes ?? [],
    errors: capture.errors,
    findings: await findingsInEngineOrder(o.dataSource.manager, o.captureId),
  };
}

/** A chunk, run again every second while another capture is learning into the same baseline. */
async function processChunkWhenFree(processor: ChunkProcessor, captureId: string, seq: number): Promise<ChunkOutcome> {
  let told = false;
  for (;;) {
    try {
      return await processor.processChunk(captureId, seq, 'cli');
    } catch (err) {
      if (!(err instanceof BaselineBusyError)) throw err;
      if (!told) process.stderr.write(`netwarden: ${err.message}; waiting\n`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
