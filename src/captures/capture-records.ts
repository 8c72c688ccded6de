import type { EntityManager } from 'typeorm';
import type { BaselineMode } from '../engine/baseline/baseline-session';
import { CaptureChunkEntity } from './capture-chunk.entity';
import type { IngestResult } from './capture-ingest';
import { CaptureEntity, type CaptureSource } from './capture.entity';

/**
 * Records an ingested capture and its chunks (status queued), in the caller's transaction: the
 * upload API and `analyze --db` both call this, then enqueue (or run) chunk 0.
 */
export interface NewCapture {
  id: string;
  name: string;
  source: CaptureSource;
  ingest: IngestResult;
  /** Detector ids to run; null/undefined = all. */
  detectors?: string[] | null;
  /** The stored baseline the network-baseline detector uses, and how; null/undefined = none. */
  baseline?: { network: string; mode: BaselineMode } | null;
}

export async function insertCapture(manager: EntityManager, c: NewCapture): Promise<CaptureEntity> {
  const capture = manager.create(CaptureEntity, {
    id: c.id,
    name: c.name,
    source: c.source,
    sha256: c.ingest.sha256,
    format: c.ingest.format,
    sizeBytes: c.ingest.sizeBytes,
    status: 'queued',
    reason: null,
    errors: c.ingest.errors,
    chunksTotal: c.ingest.chunks.length,
    chunksDone: 0,
    detectors: c.detectors ?? null,
    baselineNetwork: c.baseline?.network ?? null,
    baselineMode: c.baseline?.mode ?? null,
    state: null,
  });
  await manager.insert(CaptureEntity, capture);
  if (c.ingest.chunks.length > 0) {
    await manager.insert(
      CaptureChunkEntity,
      c.ingest.chunks.map((k) => ({
        captureId: c.id,
        seq: k.seq,
        file: k.file,
        firstFrame: k.firstFrame,
        packets: k.packets,
        fileBytes: k.fileBytes,
        status: 'pending' as const,
      })),
    );
  }
  return capture;
}

/**
 * A live session's capture: no file, no hash, no total yet — its chunks are recorded while it
 * runs (LiveChunkRecorder) and the closing chunk sets chunksTotal.
 */
export async function insertLiveCapture(
  manager: EntityManager,
  c: { id: string; name: string; detectors?: string[] | null },
): Promise<void> {
  await manager.insert(CaptureEntity, {
    id: c.id,
    name: c.name,
    source: 'live',
    sha256: null,
    format: 'pcap',
    sizeBytes: 0,
    status: 'queued',
    reason: null,
    errors: [],
    chunksTotal: null,
    chunksDone: 0,
    detectors: c.detectors ?? null,
    state: null,
  });
}
