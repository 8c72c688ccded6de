import type { DataSource } from 'typeorm';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import { CaptureEntity } from '../captures/capture.entity';
import type { AnalysisQueue } from './analysis-queue.service';
import { analysisJobId } from './analysis-queue';

/**
 * Puts back the next chunk's job of every capture that is waiting for it but has none in BullMQ:
 * Redis restarted (ours keeps nothing on disk), or a worker died between its commit and the
 * enqueue. The database is the truth (chunksDone); job ids are (capture, seq), so several workers
 * reconciling at once add each job once. A finished job with that id (failed while the database
 * was away, or completed just before the commit we read) is removed and added afresh.
 */
const STILL_COMING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export async function reconcileAnalysisJobs(dataSource: DataSource, queue: AnalysisQueue): Promise<number> {
  const waiting = await dataSource
    .getRepository(CaptureEntity)
    .createQueryBuilder('c')
    .select(['c.id', 'c.chunksDone'])
    .innerJoin(CaptureChunkEntity, 'k', 'k."captureId" = c.id AND k.seq = c."chunksDone"')
    .where('c.status IN (:...open)', { open: ['queued', 'analysing'] })
    .getMany();
  let added = 0;
  for (const c of waiting) {
    const job = await queue.queue.getJob(analysisJobId(c.id, c.chunksDone));
    if (job) {
      const state = await job.getState();
      if (STILL_COMING.has(state)) continue;
      await job.remove().catch(() => undefined); // taken meanwhile: the add below is then a no-op
    }
    await queue.enqueue(c.id, c.chunksDone);
    added++;
  }
  return added;
}
