import type { EntityManager } from 'typeorm';
import { isoTime } from '../../src/engine/finding';
import { insertCapture } from '../../src/captures/capture-records';
import { upsertFindings } from '../../src/findings/finding-writer';
import { writeSummary } from '../../src/findings/summary-writer';
import type { SummaryRun } from './summary-run';

/** What the worker does per chunk, in one transaction per chunk: findings, then the summary delta. */
export async function storeRun(
  manager: EntityManager,
  captureId: string,
  name: string,
  run: SummaryRun,
): Promise<void> {
  await insertCapture(manager, {
    id: captureId,
    name,
    source: 'cli',
    ingest: {
      sha256: captureId.replace(/-/g, '').padEnd(64, '0'),
      sizeBytes: run.stats.bytes,
      receivedBytes: run.stats.bytes,
      gzip: false,
      format: 'pcap',
      chunks: [],
      errors: [],
    },
  });
  for (const chunk of run.chunks) {
    await manager.transaction(async (tx) => {
      await upsertFindings(tx, captureId, chunk.entries);
      await writeSummary(
        tx,
        captureId,
        chunk.delta,
        chunk.entries.map((e) => e.finding),
      );
    });
  }
  await manager.query(
    `UPDATE captures SET status = 'done', packets = $2, bytes = $3, "chunksDone" = $4, "firstSeen" = $5, "lastSeen" = $6 WHERE id = $1`,
    [
      captureId,
      run.stats.packets,
      run.stats.bytes,
      run.chunks.length,
      run.stats.firstTime === null ? null : isoTime(run.stats.firstTime),
      run.stats.lastTime === null ? null : isoTime(run.stats.lastTime),
    ],
  );
}
