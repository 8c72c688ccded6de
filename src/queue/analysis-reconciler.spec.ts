import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { recordCapture } from '../../test/support/capture-fixtures';
import { SHARED_PCAPS } from '../../test/support/paths';
import { serviceEnv } from '../../test/support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../../test/support/test-database';
import { waitFor } from '../../test/support/wait-for';
import { CaptureEntity } from '../captures/capture.entity';
import { loadSettings, type Settings } from '../config/settings';
import { ANALYSIS_QUEUE, analysisJobId, redisOptions } from './analysis-queue';
import { AnalysisQueue } from './analysis-queue.service';
import { reconcileAnalysisJobs } from './analysis-reconciler';

describe('reconcileAnalysisJobs (real PostgreSQL and Redis)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let settings: Settings;
  let queue: AnalysisQueue;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-reconcile-'));
    settings = loadSettings(serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir }));
    queue = new AnalysisQueue(settings);
  });
  afterAll(async () => {
    await queue?.queue.obliterate({ force: true });
    await queue?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');
  const state = async (id: string, seq: number) => (await queue.queue.getJob(analysisJobId(id, seq)))?.getState();

  it('adds the missing next job, renews a failed one, leaves pending ones and closed captures', async () => {
    const lost = await recordCapture(db.dataSource, dataDir, file, 'lost', 5);
    const failed = await recordCapture(db.dataSource, dataDir, file, 'failed', 5);
    const waiting = await recordCapture(db.dataSource, dataDir, file, 'waiting', 5);
    const done = await recordCapture(db.dataSource, dataDir, file, 'done', 5);
    const repo = db.dataSource.getRepository(CaptureEntity);
    await repo.update({ id: failed.id }, { status: 'analysing', chunksDone: 2 });
    await repo.update({ id: done.id }, { status: 'done', chunksDone: done.ingest.chunks.length });

    // A job for chunk 2 that failed for good (say, while the database was away).
    await queue.queue.add(
      'chunk',
      { captureId: failed.id, seq: 2 },
      { jobId: analysisJobId(failed.id, 2), attempts: 1 },
    );
    const failer = new Worker(
      ANALYSIS_QUEUE,
      async () => {
        throw new Error('database unreachable');
      },
      { connection: redisOptions(settings), prefix: settings.redisPrefix },
    );
    await waitFor('the job failed', async () => ((await state(failed.id, 2)) === 'failed' ? true : undefined), 10_000);
    await failer.close();
    await queue.enqueue(waiting.id, 0);

    expect(await reconcileAnalysisJobs(db.dataSource, queue)).toBe(2);
    expect(await state(lost.id, 0)).toBe('waiting');
    expect(await state(failed.id, 2)).toBe('waiting');
    expect((await queue.queue.getJob(analysisJobId(failed.id, 2)))!.attemptsMade).toBe(0);
    expect(await state(waiting.id, 0)).toBe('waiting');
    expect(await queue.queue.getJob(analysisJobId(done.id, done.ingest.chunks.length))).toBeUndefined();
    expect((await queue.queue.getJobCounts('waiting')).waiting).toBe(3);
    // Nothing more to do: a second pass adds nothing.
    expect(await reconcileAnalysisJobs(db.dataSource, queue)).toBe(0);
  });
});
