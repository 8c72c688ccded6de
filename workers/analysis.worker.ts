import 'reflect-metadata';
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { BaselineBusyError } from '../src/captures/capture-baseline';
import { ChunkProcessor } from '../src/captures/chunk-processor';
import { StateCipher } from '../src/captures/state-cipher';
import { SettingsError, type Settings } from '../src/config/settings';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from '../src/config/service-settings';
import { openDataSource } from '../src/database/data-source';
import { FeedConfigError } from '../src/intel/feed-config';
import { IntelIndexSource } from '../src/intel/intel-index-source';
import { ANALYSIS_QUEUE, redisOptions, type AnalysisJobData } from '../src/queue/analysis-queue';
import { AnalysisQueue } from '../src/queue/analysis-queue.service';
import { reconcileAnalysisJobs } from '../src/queue/analysis-reconciler';
import { RedisEventPublisher } from '../src/queue/event-publisher';
import { secureDataDir } from '../src/storage/secure-data-dir';

/**
 * `npm run start:worker`: analyses capture chunks from the BullMQ `analysis` queue (DESIGN §4).
 * A plain entry point, no Nest container: the worker needs a DataSource, a queue and the engine.
 * Any number of these run side by side; the database row of each capture decides which chunk is
 * next, so a killed worker, a restarted Redis or a database outage delays a capture, never
 * corrupts or strands it (retries with back-off, the last failure marks it failed, the
 * reconciler re-adds lost jobs).
 */
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function openDatabase(settings: Settings): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDataSource(settings.databaseUrl, settings.migrationsRun);
    } catch (err) {
      const missing = missingDatabaseMessage(err, settings.databaseUrl);
      if (missing) throw new SettingsError(missing);
      if (attempt >= 30) throw err;
      log(`database not reachable (${errorText(err)}); retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function main(): Promise<void> {
  let settings: Settings;
  try {
    const loaded = loadServiceSettings();
    settings = loaded.settings;
    log(`netwarden worker: ${describeConnections(settings, loaded.dotEnvPath)}`);
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`netwarden worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  secureDataDir(settings.dataDir, log);
  const name = `${hostname()}:${process.pid}`;
  let intel: IntelIndexSource;
  try {
    // The same feeds file and cache the API's IntelService uses (shared data directory).
    intel = new IntelIndexSource(settings.dataDir, { log });
  } catch (err) {
    if (err instanceof FeedConfigError) {
      process.stderr.write(`netwarden worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const dataSource = await openDatabase(settings);
  const queue = new AnalysisQueue(settings);
  queue.queue.on('error', () => undefined); // ioredis reconnects by itself
  const events = new RedisEventPublisher(settings);
  const processor = new ChunkProcessor({
    dataSource,
    dataDir: settings.dataDir,
    cipher: new StateCipher(settings.secretKey),
    intel,
    publish: (e) => events.publish(e),
    enqueue: (id, seq) => queue.enqueue(id, seq),
  });

  const worker = new Worker<AnalysisJobData>(
    ANALYSIS_QUEUE,
    async (job: Job<AnalysisJobData>, token?: string) => {
      const { captureId, seq } = job.data;
      let r;
      try {
        r = await processor.processChunk(captureId, seq, name);
      } catch (err) {
        if (!(err instanceof BaselineBusyError)) throw err;
        // Waiting for another capture to finish learning is not a failure: no attempt is used.
        log(`chunk capture=${captureId} seq=${seq} waits: ${err.message}`);
        await job.moveToDelayed(Date.now() + settings.worker.baselineWaitMs, token);
        throw new DelayedError();
      }
      if (r.kind === 'processed') {
        log(
          `chunk capture=${captureId} seq=${seq} packets=${r.packets} findings=${r.changedFindings} ms=${r.ms}` +
            (r.done ? ' capture done' : ''),
        );
      } else {
        log(
          `chunk capture=${captureId} seq=${seq} skipped (${r.kind === 'gone' ? 'capture deleted' : 'already done'})`,
        );
      }
      return r.kind;
    },
    {
      connection: redisOptions(settings),
      prefix: settings.redisPrefix,
      concurrency: settings.worker.concurrency,
      lockDuration: settings.worker.lockMs,
      // A killed worker's job is taken over after about lockMs + stalledInterval.
      stalledInterval: Math.max(500, Math.floor(settings.worker.lockMs / 2)),
      maxStalledCount: 2,
      name, // shown as the job's processedBy
      autorun: false,
    },
  );

  worker.on('failed', (job, err) => {
    if (!job) return;
    const { captureId, seq } = job.data;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log(
      `chunk capture=${captureId} seq=${seq} attempt ${job.attemptsMade}/${job.opts.attempts ?? 1} failed: ${errorText(err)}`,
    );
    processor.recordFailure(captureId, seq, errorText(err), final).then(
      (marked) => {
        if (marked) log(`capture=${captureId} failed at chunk ${seq}`);
      },
      // The database is away too: the reconciler retries the chunk once it is back.
      (e: unknown) => log(`capture=${captureId} seq=${seq}: could not record the failure: ${errorText(e)}`),
    );
  });
  worker.on('error', (err) => log(`queue error: ${errorText(err)}`));

  let reconciling = false;
  const reconcile = async () => {
    if (reconciling) return;
    reconciling = true;
    try {
      const n = await reconcileAnalysisJobs(dataSource, queue);
      if (n > 0) log(`reconciler re-enqueued ${n} lost chunk job(s)`);
    } catch (err) {
      log(`reconciler: ${errorText(err)}`);
    } finally {
      reconciling = false;
    }
  };
  const timer = setInterval(() => void reconcile(), settings.worker.reconcileMs);
  // Keeps the index fresh between captures, so a reload rarely runs inside a chunk's transaction.
  const intelTimer = setInterval(() => {
    try {
      intel.check();
    } catch (err) {
      log(`intel: ${errorText(err)}`);
    }
  }, settings.worker.intelCheckMs);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal}: finishing the current chunk, then exiting`);
    clearInterval(timer);
    clearInterval(intelTimer);
    // A chunk stuck on an unreachable database is abandoned: its lock expires and another
    // worker redoes it from the saved state (the uncommitted transaction rolls back).
    const abandon = setTimeout(() => void worker.close(true), settings.worker.lockMs);
    try {
      await worker.close();
    } finally {
      clearTimeout(abandon);
    }
    await queue.close().catch(() => undefined);
    await events.close();
    await dataSource.destroy().catch(() => undefined);
    log('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  void worker.run();
  await worker.waitUntilReady();
  log(
    `netwarden worker ${name} ready (queue ${ANALYSIS_QUEUE}, concurrency ${settings.worker.concurrency}, lock ${settings.worker.lockMs} ms)`,
  );
  void reconcile();
}

main().catch((err: unknown) => {
  if (err instanceof SettingsError) {
    process.stderr.write(`netwarden worker: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`netwarden worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
