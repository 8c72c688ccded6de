import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { In, IsNull, type DataSource } from 'typeorm';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import { CaptureEntity } from '../captures/capture.entity';
import type { AnalysisQueue } from '../queue/analysis-queue.service';
import type { ChunkMessage } from './capture-process-protocol';

export interface RetentionLimits {
  /** Analysed chunk bytes kept per session (0: none). */
  bytes: number;
  /** Age limit in seconds (0: none). */
  seconds: number;
}

/**
 * The API side of live chunks: records each chunk the capture process wrote (the same
 * capture_chunks rows an upload makes) and hands it to the workers. Chunks of one capture run in
 * order and only the next one's job may exist: under the capture's row lock — the lock the
 * chunk processor holds while it runs a chunk — it reads how far analysis is; if the new chunk
 * is the next one it is enqueued here, otherwise the worker that finishes its predecessor finds
 * the row and enqueues it (ChunkProcessor.recordedChunk). The closing chunk sets chunksTotal,
 * which is what lets the workers finish the capture.
 */
export class LiveChunkRecorder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: AnalysisQueue,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** false: the capture is gone (deleted) — stop the session. */
  async record(captureId: string, c: ChunkMessage): Promise<boolean> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const capture = await tx
        .getRepository(CaptureEntity)
        .createQueryBuilder('c')
        .select(['c.id', 'c.chunksDone', 'c.status', 'c.sizeBytes'])
        .where('c.id = :id', { id: captureId })
        .setLock('pessimistic_write')
        .getOne();
      if (!capture) return 'gone' as const;
      await tx
        .createQueryBuilder()
        .insert()
        .into(CaptureChunkEntity)
        .values({
          captureId,
          seq: c.seq,
          file: c.file,
          firstFrame: c.firstFrame,
          packets: c.packets,
          fileBytes: c.fileBytes,
          status: 'pending',
        })
        .orIgnore() // recorded before a crash of this process: the same file, the same row
        .execute();
      await tx.update(
        CaptureEntity,
        { id: captureId },
        { sizeBytes: capture.sizeBytes + c.fileBytes, ...(c.closing ? { chunksTotal: c.seq + 1 } : {}) },
      );
      const open = capture.status === 'queued' || capture.status === 'analysing';
      return open && capture.chunksDone === c.seq ? ('enqueue' as const) : ('recorded' as const);
    });
    if (outcome === 'gone') return false;
    if (outcome === 'enqueue') {
      // Redis away: the workers' reconciler adds the job once it is back (the row is recorded).
      await this.queue.enqueue(captureId, c.seq).catch((err: unknown) => {
        this.log(`live: chunk ${c.seq} of capture ${captureId} recorded, not yet queued: ${(err as Error).message}`);
      });
    }
    return true;
  }

  /**
   * Rolling retention: deletes the files of analysed chunks beyond the limits (newest kept) and
   * marks them pruned. Never touches a chunk the workers have not analysed yet.
   */
  async prune(captureId: string, dir: string, limits: RetentionLimits, now = new Date()): Promise<number> {
    const done = await this.dataSource.getRepository(CaptureChunkEntity).find({
      select: ['seq', 'file', 'fileBytes', 'finishedAt'],
      where: { captureId, status: 'done', prunedAt: IsNull() },
      order: { seq: 'DESC' },
    });
    let kept = 0;
    const drop: CaptureChunkEntity[] = [];
    for (const k of done) {
      kept += k.fileBytes;
      const tooOld =
        limits.seconds > 0 && k.finishedAt !== null && now.getTime() - k.finishedAt.getTime() > limits.seconds * 1000;
      if (kept > limits.bytes || tooOld) drop.push(k);
    }
    if (drop.length === 0) return 0;
    for (const k of drop) await rm(join(dir, k.file), { force: true });
    await this.dataSource
      .getRepository(CaptureChunkEntity)
      .update({ captureId, seq: In(drop.map((k) => k.seq)) }, { prunedAt: now });
    return drop.length;
  }
}
