import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { insertCapture } from '../../src/captures/capture-records';
import { ingestCapture, type IngestResult } from '../../src/captures/capture-ingest';
import { analyzeCapture } from '../../src/engine/analyze-capture';
import { resolveConfig } from '../../src/engine/config';
import type { Finding } from '../../src/engine/finding';
import { findingsInEngineOrder } from '../../src/findings/stored-findings';

/**
 * What the upload API does before enqueueing (ingest into chunk files, record the capture), for
 * suites that drive the workers directly; and the two sides of the parity check: the findings a
 * capture has in the database, in the engine's order, and what `analyze` finds in the same file.
 */
export interface StoredCapture {
  id: string;
  name: string;
  ingest: IngestResult;
}

export async function recordCapture(
  ds: DataSource,
  dataDir: string,
  file: string,
  name: string,
  chunkMaxPackets: number,
): Promise<StoredCapture> {
  const id = randomUUID();
  const ingest = await ingestCapture(createReadStream(file), {
    dir: join(dataDir, 'captures', id),
    source: name,
    maxBytes: 2 * 1024 * 1024 * 1024,
    chunkMaxBytes: 16 * 1024 * 1024,
    chunkMaxPackets,
  });
  await ds.transaction((tx) => insertCapture(tx, { id, name, source: 'upload', ingest }));
  return { id, name, ingest };
}

/** Stored findings in the order `analyze` prints them (first seen to the microsecond, then detector + key). */
export async function storedFindings(ds: DataSource, captureId: string): Promise<Finding[]> {
  return findingsInEngineOrder(ds.manager, captureId);
}

export async function engineFindings(file: string, name: string, captureId: string): Promise<Finding[]> {
  return (await analyzeCapture(file, name, { config: resolveConfig(), captureId })).findings;
}
