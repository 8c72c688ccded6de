import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { In } from 'typeorm';
import { CaptureEntity } from '../src/captures/capture.entity';
import { loadSettings } from '../src/config/settings';
import { analyzeCapture } from '../src/engine/analyze-capture';
import { resolveConfig } from '../src/engine/config';
import { redisOptions } from '../src/queue/analysis-queue';
import { AnalysisQueue } from '../src/queue/analysis-queue.service';
import { eventsChannel, type ServiceEvent } from '../src/queue/service-events';
import { engineFindings, recordCapture, storedFindings, type StoredCapture } from './support/capture-fixtures';
import { ROOT, SHARED_PCAPS, fixtureCaptures } from './support/paths';
import { serviceEnv, startWorker, type ServiceProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';
import { budgetMs } from './support/time-budget';

/**
 * DESIGN §1/§4 end to end: captures cut into several chunks, queued as the upload API queues
 * them, analysed by two real worker processes (dist/, `npm run start:worker`) in parallel —
 * and the findings they store equal `analyze` on the same file, exactly.
 */
const files = [
  ...fixtureCaptures(),
  ...['arp-spoof-a.pcap', 'ftp-login.pcap', 'scan-syn.pcap', 'tls-cert-change-a.pcap', 'http-basic-and-form.pcap'].map(
    (f) => join(SHARED_PCAPS, 'attacks', f),
  ),
];

function cli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'netwarden.js'), 'analyze', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      SECRET_KEY: 'cli-secret-0123456789abcdef0123456789',
      FORCE_COLOR: '0',
      ...extra,
    },
  });
}

describe('analysis workers (2 processes, real PostgreSQL and Redis)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let queue: AnalysisQueue;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-worker-'));
    env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, WORKER_BACKOFF_MS: '100' });
    queue = new AnalysisQueue(loadSettings(env));
    for (let i = 0; i < 2; i++) workers.push(startWorker(env));
    await Promise.all(
      workers.map((w) => waitFor('worker ready', async () => (/ready/.test(w.output()) ? true : undefined), 20_000)),
    );
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores exactly the findings of analyze for every capture, all queued at once', async () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    const captures: Array<StoredCapture & { file: string }> = [];
    for (const file of files) {
      const whole = await analyzeCapture(file, basename(file), { config: resolveConfig() });
      // About five chunks each, so state is carried between chunks (and between workers).
      const perChunk = Math.max(1, Math.ceil(whole.packets / 5));
      const c = await recordCapture(db.dataSource, dataDir, file, basename(file), perChunk);
      expect(c.ingest.chunks.length).toBeGreaterThanOrEqual(whole.packets >= 5 ? 5 : 1);
      captures.push({ ...c, file });
    }
    // What the API relays on GET /events: the workers publish it on the prefix's channel.
    const events: ServiceEvent[] = [];
    const sub = new Redis(redisOptions(loadSettings(env)));
    await sub.subscribe(eventsChannel(env.REDIS_PREFIX));
    sub.on('message', (_ch: string, text: string) => events.push(JSON.parse(text) as ServiceEvent));
    await Promise.all(captures.map((c) => queue.enqueue(c.id, 0)));

    const rows = await waitFor(
      'every capture analysed',
      async () => {
        const r = await db.dataSource.getRepository(CaptureEntity).findBy({ id: In(captures.map((c) => c.id)) });
        return r.every((c) => c.status === 'done' || c.status === 'failed') ? r : undefined;
      },
      45_000,
    );
    let total = 0;
    for (const c of captures) {
      const row = rows.find((r) => r.id === c.id)!;
      expect({ name: c.name, status: row.status, reason: row.reason }).toEqual({
        name: c.name,
        status: 'done',
        reason: null,
      });
      expect(row.chunksDone).toBe(row.chunksTotal);
      const whole = await analyzeCapture(c.file, c.name, { config: resolveConfig(), captureId: c.id });
      expect(row.packets).toBe(whole.packets);
      expect(row.bytes).toBe(whole.bytes);
      expect(row.errors).toEqual(whole.errors);
      const stored = await storedFindings(db.dataSource, c.id);
      expect(stored).toEqual(whole.findings);
      expect(stored).toEqual(await engineFindings(c.file, c.name, c.id));
      total += stored.length;
    }
    expect(total).toBeGreaterThan(20); // not vacuous

    await waitFor(
      'the last events',
      async () => (events.filter((e) => e.type === 'capture.done').length >= captures.length ? true : undefined),
      5000,
    );
    await sub.quit();
    for (const c of captures) {
      const mine = events.filter((e) => e.captureId === c.id);
      const progress = mine.filter((e) => e.type === 'capture.progress');
      expect(progress.map((e) => e.chunksDone)).toEqual(c.ingest.chunks.map((k) => k.seq + 1));
      expect(mine.filter((e) => e.type === 'capture.done')).toEqual([
        { type: 'capture.done', captureId: c.id, status: 'done', reason: null },
      ]);
      // Every stored finding was announced, created once; its last event carries its final form.
      const stored = await storedFindings(db.dataSource, c.id);
      const announced = new Map<string, unknown>();
      let created = 0;
      for (const e of mine) {
        if (e.type !== 'finding') continue;
        announced.set(e.finding.id, e.finding);
        if (e.created) created++;
      }
      expect(created).toBe(stored.length);
      expect(stored.map((f) => announced.get(f.id))).toEqual(stored);
    }
    // Both processes took chunks, and logged one line per chunk without secrets.
    const logs = workers.map((w) => w.output());
    expect(logs.every((l) => /chunk capture=\S+ seq=\d+ packets=\d+ findings=\d+ ms=\d+/.test(l))).toBe(true);
    expect(logs.join('\n')).not.toContain(env.SECRET_KEY);
  });

  it(
    'analyze --db stores the same and prints what analyze prints, ids derived from the capture id',
    async () => {
      for (const file of [files[0], join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap')]) {
        // Small chunks: the CLI runs many chunks in-process, carrying state as the workers do.
        const stored = cli(['--json', '--db', db.url, '--data-dir', dataDir, file], { CHUNK_MAX_PACKETS: '40' });
        expect(stored.stderr).toMatch(/^netwarden: capture [0-9a-f-]{36}$/m);
        const id = /capture ([0-9a-f-]{36})/.exec(stored.stderr)![1];
        const plain = cli(['--json', '--capture-id', id, file]);
        expect(stored.status).toBe(plain.status);
        expect(stored.stdout).toBe(plain.stdout);
        const doc = JSON.parse(stored.stdout) as { findings: unknown[]; packets: number };
        expect(doc.findings.length).toBeGreaterThan(0);
        const row = await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id });
        expect(row).toMatchObject({ source: 'cli', status: 'done', chunksDone: Math.ceil(doc.packets / 40) });
        expect(await storedFindings(db.dataSource, id)).toEqual(doc.findings);
        // The table output too, apart from nothing: same findings, same text.
        const table = cli(['--db', db.url, '--data-dir', dataDir, '--capture-id', randomUUID(), file]);
        const id2 = /capture ([0-9a-f-]{36})/.exec(table.stderr)![1];
        expect(table.stdout).toBe(cli(['--capture-id', id2, file]).stdout);
      }
      // Without --db the default capture id is still the file name, as before.
      const byName = cli(['--json', files[0]]);
      const whole = await analyzeCapture(files[0], files[0], { config: resolveConfig() });
      expect(JSON.parse(byName.stdout)).toEqual(JSON.parse(JSON.stringify(whole)));
    },
    budgetMs(16_800),
  ); // 16.8 s under test:stress

  it('SIGTERM: a worker finishes its chunk, closes its connections and exits 0', async () => {
    const c = await recordCapture(
      db.dataSource,
      dataDir,
      join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap'),
      'scan-syn.pcap',
      200,
    );
    await queue.enqueue(c.id, 0);
    await waitFor(
      'chunks under way',
      async () =>
        (await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: c.id })).chunksDone > 0
          ? true
          : undefined,
      20_000,
      20,
    );
    const w = workers.pop()!;
    await w.stop();
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/SIGTERM: finishing the current chunk, then exiting[\s\S]*worker stopped/);
    // The other worker carries the capture to the end from where the stopped one left it.
    const done = await waitFor(
      'capture done',
      async () => {
        const r = await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: c.id });
        return r.status === 'done' ? r : undefined;
      },
      30_000,
    );
    expect(done.chunksDone).toBe(c.ingest.chunks.length);
    expect(await storedFindings(db.dataSource, c.id)).toEqual(
      await engineFindings(join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap'), 'scan-syn.pcap', c.id),
    );
  });

  it('analyze --db refuses, with one line and exit 2, what it cannot do', async () => {
    const bare = await createTestDatabase({ migrate: false });
    try {
      const r = cli(['--db', bare.url, '--data-dir', dataDir, files[0]]);
      // First the line every entry point logs: which database (and Redis) it uses.
      expect({ status: r.status, stderr: r.stderr.split('\n') }).toEqual({
        status: 2,
        stderr: [
          expect.stringMatching(
            new RegExp(`^netwarden analyze: database ${bare.name} on 127\\.0\\.0\\.1:5432, redis `),
          ),
          'netwarden: the database given by --db lacks migrations: run `npm run migration:run` (or set MIGRATIONS_RUN=true)',
          '',
        ],
      });
    } finally {
      await bare.drop();
    }
    const notUuid = cli(['--db', db.url, '--capture-id', 'x', files[0]]);
    expect({ status: notUuid.status, stderr: notUuid.stderr }).toEqual({
      status: 2,
      stderr: 'netwarden: with --db, --capture-id must be a UUID\n',
    });
    const garbage = join(dataDir, 'garbage.pcap');
    writeFileSync(garbage, 'this is not a capture, just text');
    const g = cli(['--db', db.url, '--data-dir', dataDir, garbage]);
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/upload a pcap or pcapng file/);
    expect(await db.dataSource.getRepository(CaptureEntity).countBy({ name: garbage })).toBe(0);
  });
});
