import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import type { DataSource } from 'typeorm';
import { ingestCapture } from '../../src/captures/capture-ingest';
import { insertCapture } from '../../src/captures/capture-records';
import { readCapture } from '../../src/engine/capture/read-capture';
import { resolveConfig } from '../../src/engine/config';
import { createDetectors } from '../../src/engine/detectors/registry';
import { Pipeline } from '../../src/engine/pipeline';
import { upsertFindings } from '../../src/findings/finding-writer';

/**
 * A capture stored exactly as the service stores one: ingested into chunk files under
 * `<dataDir>/captures/<id>/`, recorded with insertCapture, analysed chunk by chunk on one
 * Pipeline with the changed findings (and the engine's own sort keys) upserted after each chunk
 * and after finish() — what a worker does, without the queue.
 */
export interface SeededCapture {
  id: string;
  file: string;
  chunks: number;
}

export async function seedCapture(
  ds: DataSource,
  dataDir: string,
  file: string,
  opts: { chunkMaxPackets?: number; id?: string } = {},
): Promise<SeededCapture> {
  const id = opts.id ?? randomUUID();
  const dir = join(dataDir, 'captures', id);
  const name = basename(file);
  const ingest = await ingestCapture(createReadStream(file), {
    dir,
    source: name,
    maxBytes: 1 << 30,
    chunkMaxBytes: 1 << 20,
    chunkMaxPackets: opts.chunkMaxPackets ?? 100,
  });
  await insertCapture(ds.manager, { id, name, source: 'cli', ingest });
  const config = resolveConfig();
  const pipeline = new Pipeline({ captureId: id, detectors: createDetectors(config), config });
  for (const chunk of ingest.chunks) {
    await readCapture(join(dir, chunk.file), { source: chunk.file, onPacket: (rec) => pipeline.push(rec) });
    await upsertFindings(ds.manager, id, pipeline.takeChangedFindingEntries());
  }
  pipeline.finish();
  await upsertFindings(ds.manager, id, pipeline.takeChangedFindingEntries());
  return { id, file, chunks: ingest.chunks.length };
}
