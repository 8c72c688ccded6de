import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import type { DataSource } from 'typeorm';
import { ingestCapture } from '../../src/captures/capture-ingest';
import { insertCapture } from '../../src/captures/capture-records';
import { ChunkProcessor } from '../../src/captures/chunk-processor';
import { StateCipher } from '../../src/captures/state-cipher';

/**
 * A capture stored exactly as the service stores one: ingested into chunk files under
 * `<dataDir>/captures/<id>/`, recorded with insertCapture, analysed chunk by chunk by the
 * workers' own ChunkProcessor — what a worker does, without the queue.
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
  const processor = new ChunkProcessor({ dataSource: ds, dataDir, cipher: new StateCipher('seed-capture-secret') });
  for (const chunk of ingest.chunks) await processor.processChunk(id, chunk.seq, 'seed');
  return { id, file, chunks: ingest.chunks.length };
}
