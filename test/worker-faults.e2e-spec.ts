import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureChunkEntity } from '../src/captures/capture-chunk.entity';
import { CaptureEntity } from '../src/captures/capture.entity';
import { loadSettings } from '../src/config/settings';
import type { Finding } from '../src/engine/finding';
import { AnalysisQueue } from '../src/queue/analysis-queue.service';
import { engineFindings, recordCapture, storedFindings, type StoredCapture } from './support/capture-fixtures';
import { SHARED_PCAPS } from './support/paths';
import { freePort, startRedis } from './support/redis-server';
import { writeRepeatedCapture } from './support/repeat-capture';
import { serviceEnv, startWorker, type ServiceProcess } from './support/service-processes';
import { captureProgress } from './support/capture-progress';
import { startTcpProxy } from './support/tcp-proxy';
import { createTestDatabase, PG_ADMIN_URL, testRedisPrefix, type TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';
import { budgetMs } from './support/time-budget';

/**
 * DESIGN §4 under faults, with real processes: a worker killed with -9 mid-chunk, Redis
 * restarted (all jobs lost), PostgreSQL unreachable for a while, chunk files gone or damaged.
 * Each capture ends done with exactly the findings of a clean `analyze` run (no duplicates,
 * nothing missing) — or failed with a reason; never stuck (every wait is bounded).
 */
const CHUNK_PACKETS = 2000;

describe('analysis workers under faults', () => {
  let db: TestDatabase;
  let dataDir: string;
  let bigFile: string;
  const running: ServiceProcess[] = [];
  const queues: AnalysisQueue[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-faults-'));
    bigFile = join(dataDir, 'big.pcap');
    // ~11 MB, ~134k packets: ~67 chunks of mixed attacks, seconds of work for two workers.
    writeRepeatedCapture(
      bigFile,
      ['ftp-login.pcap', 'scan-syn.pcap', 'tls-cert-change-a.pcap', 'arp-spoof-a.pcap', 'http-basic-and-form.pcap'].map(
        (f) => join(SHARED_PCAPS, 'attacks', f),
      ),
      60,
    );
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.stop()));
    for (const q of queues.splice(0)) {
      await q.queue.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return serviceEnv({
      databaseUrl: db.url,
      redisPrefix: testRedisPrefix(),
      dataDir,
      WORKER_LOCK_MS: '3000',
      WORKER_BACKOFF_MS: '200',
      WORKER_RECONCILE_MS: '1000',
      ...extra,
    });
  }

  async function startWorkers(env: Record<string, string>, n = 2): Promise<ServiceProcess[]> {
    const ws = Array.from({ length: n }, () => startWorker(env));
    running.push(...ws);
    await Promise.all(
      ws.map((w) => waitFor('worker ready', async () => (/ ready /.test(w.output()) ? true : undefined), 20_000)),
    );
    return ws;
  }

  function queueFor(env: Record<string, string>): AnalysisQueue {
    const q = new AnalysisQueue(loadSettings(env));
    q.queue.on('error', () => undefined);
    queues.push(q);
    return q;
  }

  const { row, settled: waitSettled, pastChunk } = captureProgress(() => db.dataSource);
  const waitProgress = (id: string, chunks: number) => pastChunk(id, chunks, 30_000);

  async function expectLikeCleanRun(c: StoredCapture, file: string): Promise<Finding[]> {
    const r = await row(c.id);
    expect({ status: r.status, reason: r.reason }).toEqual({ status: 'done', reason: null });
    expect(r.chunksDone).toBe(c.ingest.chunks.length);
    const stored = await storedFindings(db.dataSource, c.id);
    const clean = await engineFindings(file, c.name, c.id);
    expect(stored.length).toBe(clean.length);
    expect(stored).toEqual(clean);
    expect(new Set(stored.map((f) => f.id)).size).toBe(stored.length);
    return stored;
  }

  it(
    'a worker killed with -9 mid-chunk: the other takes the chunk over, findings equal the clean run',
    async () => {
      const env = workerEnv();
      const q = queueFor(env);
      const workers = await startWorkers(env);
      const c = await recordCapture(db.dataSource, dataDir, bigFile, 'big.pcap', CHUNK_PACKETS);
      expect(c.ingest.chunks.length).toBeGreaterThan(50);
      await q.enqueue(c.id, 0);
      await waitProgress(c.id, 5);

      // Kill the worker that holds the capture's active chunk job, while it holds it.
      const active = await waitFor(
        'an active chunk job',
        async () => (await q.queue.getActive()).find((j) => j.processedBy) ?? undefined,
        10_000,
        20,
      );
      const pid = Number(/:(\d+)$/.exec(active.processedBy!)![1]);
      const victim = workers.find((w) => w.proc.pid === pid)!;
      expect(victim).toBeDefined();
      const killedAt = Date.now();
      await victim.kill();
      const killedSeq = active.data.seq;

      const settled = await waitSettled(c.id, budgetMs(19_800) - 30_000);
      expect(settled.status).toBe('done');
      await expectLikeCleanRun(c, bigFile);
      // The killed job was delivered again after its lock expired. (The victim may have been
      // before or after its commit: either way the chunk is done exactly once.)
      const chunk = await db.dataSource
        .getRepository(CaptureChunkEntity)
        .findOneByOrFail({ captureId: c.id, seq: killedSeq });
      expect(chunk.status).toBe('done');
      expect(chunk.attempts).toBe(1);
      const redone = await q.queue.getJob(active.id!);
      expect(redone).toBeDefined();
      // Delivered again — unless the victim finished the job between getActive() and the kill (a
      // busy machine widens that window): then it completed once, before the kill.
      const finishedBeforeKill = redone!.finishedOn !== undefined && redone!.finishedOn <= killedAt;
      if (!finishedBeforeKill) expect(redone!.stalledCounter + redone!.attemptsStarted).toBeGreaterThanOrEqual(2);
      if (process.env.WORKER_FAULTS_DEBUG) console.log(running.map((w) => w.output()).join('\n---\n'));
    },
    budgetMs(19_800),
  ); // 19.8 s under test:stress

  it(
    'Redis restarted mid-capture (every job lost): the reconciler re-adds them, the capture completes',
    async () => {
      const port = await freePort();
      let redis = await startRedis(port);
      try {
        const env = workerEnv({ REDIS_URL: `redis://127.0.0.1:${port}` });
        const q = queueFor(env);
        await startWorkers(env);
        const c = await recordCapture(db.dataSource, dataDir, bigFile, 'big.pcap', CHUNK_PACKETS);
        await q.enqueue(c.id, 0);
        await waitProgress(c.id, 5);
        redis.kill('SIGKILL');
        await new Promise((r) => redis.once('exit', r));
        const doneBefore = (await row(c.id)).chunksDone;
        // A second capture recorded while Redis is away: its first job was never added at all.
        const lost = await recordCapture(
          db.dataSource,
          dataDir,
          join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap'),
          'ftp-login.pcap',
          5,
        );
        await new Promise((r) => setTimeout(r, 1000));
        redis = await startRedis(port); // empty: nothing on disk
        const settled = await waitSettled(c.id, budgetMs(22_200) - 30_000);
        expect(settled.status).toBe('done');
        expect(doneBefore).toBeLessThan(c.ingest.chunks.length);
        await expectLikeCleanRun(c, bigFile);
        await waitSettled(lost.id, 10_000);
        await expectLikeCleanRun(lost, join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap'));
        expect(running.map((w) => w.output()).join('\n')).toMatch(/reconciler re-enqueued \d+ lost chunk job/);
        if (process.env.WORKER_FAULTS_DEBUG) console.log(running.map((w) => w.output()).join('\n---\n'));
      } finally {
        await Promise.all(running.splice(0).map((w) => w.stop()));
        for (const q of queues.splice(0)) await q.close().catch(() => undefined);
        redis.kill('SIGKILL');
      }
    },
    budgetMs(22_200),
  ); // 22.2 s under test:stress

  it(
    'PostgreSQL unreachable for seconds mid-capture: chunks retry with back-off, the capture completes',
    async () => {
      const pg = new URL(PG_ADMIN_URL);
      const proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
      try {
        const viaProxy = new URL(db.url);
        viaProxy.port = String(proxy.port);
        const env = workerEnv({ DATABASE_URL: viaProxy.toString() });
        const q = queueFor(env);
        await startWorkers(env);
        const c = await recordCapture(db.dataSource, dataDir, bigFile, 'big.pcap', CHUNK_PACKETS);
        await q.enqueue(c.id, 0);
        await waitProgress(c.id, 5);
        await proxy.stop(); // refused, and open connections cut mid-transaction
        await new Promise((r) => setTimeout(r, 500)); // a COMMIT already on its way may still land
        const during = (await row(c.id)).chunksDone;
        await new Promise((r) => setTimeout(r, 3500));
        expect((await row(c.id)).chunksDone).toBe(during); // nothing committed while away
        await proxy.start();
        const settled = await waitSettled(c.id, budgetMs(42_000) - 30_000);
        expect(settled.reason).toBeNull();
        await expectLikeCleanRun(c, bigFile);
        expect(running.map((w) => w.output()).join('\n')).toMatch(/attempt \d+\/\d+ failed/);
      } finally {
        await Promise.all(running.splice(0).map((w) => w.stop()));
        await proxy.stop();
      }
    },
    budgetMs(42_000),
  ); // 42 s under test:stress

  it('a chunk file that vanished or was damaged: the capture ends failed with the reason after the attempts', async () => {
    const env = workerEnv({ WORKER_ATTEMPTS: '3', WORKER_BACKOFF_MS: '100' });
    const q = queueFor(env);
    const workers = await startWorkers(env, 1);
    const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');
    const vanished = await recordCapture(db.dataSource, dataDir, file, 'ftp-login.pcap', 5);
    unlinkSync(join(dataDir, 'captures', vanished.id, vanished.ingest.chunks[2].file));
    const damaged = await recordCapture(db.dataSource, dataDir, file, 'ftp-login.pcap', 5);
    writeFileSync(
      join(dataDir, 'captures', damaged.id, damaged.ingest.chunks[1].file),
      Buffer.from('not a capture at all'),
    );
    await q.enqueue(vanished.id, 0);
    await q.enqueue(damaged.id, 0);

    const v = await waitSettled(vanished.id, 20_000);
    expect(v).toMatchObject({ status: 'failed', chunksDone: 2 });
    expect(v.reason).toMatch(/^chunk 2: .*(no such file|ENOENT)/);
    expect(v.finishedAt).not.toBeNull();
    const d = await waitSettled(damaged.id, 20_000);
    expect(d).toMatchObject({ status: 'failed', chunksDone: 1 });
    expect(d.reason).toMatch(/^chunk 1: the chunk file is damaged: /);
    const chunk = await db.dataSource
      .getRepository(CaptureChunkEntity)
      .findOneByOrFail({ captureId: damaged.id, seq: 1 });
    expect(chunk).toMatchObject({ status: 'pending', attempts: 3 });
    // The carried state is dropped with the failure (it may hold cleartext).
    const state = await db.dataSource
      .getRepository(CaptureEntity)
      .createQueryBuilder('c')
      .addSelect('c.state')
      .where('c.id = :id', { id: damaged.id })
      .getOneOrFail();
    expect(state.state).toBeNull();
    // The worker keeps serving.
    const ok = await recordCapture(db.dataSource, dataDir, file, 'ftp-login.pcap', 5);
    await q.enqueue(ok.id, 0);
    await waitSettled(ok.id, 20_000);
    await expectLikeCleanRun(ok, file);
    expect(workers[0].proc.exitCode).toBeNull();
  }, 60_000);
});
