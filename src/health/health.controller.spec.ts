import { Queue, Worker } from 'bullmq';
import { version } from '../../package.json';
import { loadSettings } from '../config/settings';
import { ANALYSIS_QUEUE, redisOptions } from '../queue/analysis-queue';
import { startTestApi, type TestApi } from '../../test/support/api-app';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';

/**
 * GET /health over real HTTP against the real PostgreSQL and Redis, each reached through a
 * loopback forwarder the test can close (the port then refuses connections) and reopen.
 */
describe('GET /health', () => {
  let db: TestDatabase;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let api: TestApi;
  const PASSWORD = 'pw-must-not-leak-77';

  const health = async () => {
    const res = await fetch(`${api.url}/health`); // no key: public
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { checks: Record<string, Record<string, unknown>> },
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const pg = new URL(db.url);
    pgProxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    redisProxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    // PostgreSQL here trusts local users: the password is ignored, and must never be shown.
    const viaProxy = `postgres://postgres:${PASSWORD}@127.0.0.1:${pgProxy.port}${pg.pathname}`;
    api = await startTestApi({
      db,
      env: { DATABASE_URL: viaProxy, REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` },
    });
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await pgProxy?.stop();
    await redisProxy?.stop();
  });

  it('is ok with PostgreSQL and Redis up; workers 0 is reported but still ok; queue counts are real', async () => {
    const queue = new Queue(ANALYSIS_QUEUE, {
      connection: redisOptions({ redisUrl: 'redis://127.0.0.1:6379' }),
      prefix: api.redisPrefix,
    });
    try {
      await queue.add('chunk', { captureId: 'x', seq: 0 }, { jobId: 'x.0' });
      await queue.add('chunk', { captureId: 'y', seq: 0 }, { jobId: 'y.0' });
      const r = await health();
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'ok', version });
      expect(r.body.checks.postgres).toMatchObject({ status: 'up' });
      expect(r.body.checks.redis).toMatchObject({ status: 'up' });
      expect(r.body.checks.workers).toEqual({ status: 'none', count: 0, queue: { waiting: 2, active: 0, failed: 0 } });

      // A worker that fails the jobs it takes: it is counted, and so are its failures.
      const worker = new Worker(
        ANALYSIS_QUEUE,
        async () => {
          throw new Error('test failure');
        },
        { connection: redisOptions({ redisUrl: 'redis://127.0.0.1:6379' }), prefix: api.redisPrefix },
      );
      try {
        await new Promise<void>((resolve) => {
          let n = 0;
          worker.on('failed', () => ++n === 2 && resolve());
        });
        const r2 = await health();
        expect(r2.body.checks.workers).toEqual({ status: 'up', count: 1, queue: { waiting: 0, active: 0, failed: 2 } });
      } finally {
        await worker.close();
      }
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('answers 503 degraded naming PostgreSQL when its port is closed, and ok again when it is back', async () => {
    await pgProxy.stop();
    // The pool's open connection was cut under it: that query fails without an errno.
    const cut = await health();
    expect(cut.status).toBe(503);
    expect(cut.body.checks.postgres).toMatchObject({ status: 'down' });
    expect(['unreachable', 'ECONNREFUSED']).toContain(cut.body.checks.postgres.error);
    // Then new connections find the port closed.
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('degraded');
    expect(r.body.checks.postgres).toMatchObject({ status: 'down', error: 'ECONNREFUSED' });
    expect(r.body.checks.redis).toMatchObject({ status: 'up' });
    const text = JSON.stringify(r.body);
    for (const secret of [PASSWORD, String(pgProxy.port), 'postgres://', db.name]) expect(text).not.toContain(secret);

    await pgProxy.start();
    expect((await health()).status).toBe(200);
  });

  it('answers 503 naming Redis when its port is closed (workers unknown), and recovers', async () => {
    await redisProxy.stop();
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body.checks.redis).toMatchObject({ status: 'down' });
    expect(r.body.checks.postgres).toMatchObject({ status: 'up' });
    expect(r.body.checks.workers).toEqual({ status: 'unknown', count: null, queue: null });
    expect(JSON.stringify(r.body)).not.toContain(PASSWORD);

    await redisProxy.start();
    const t0 = Date.now();
    let back = await health();
    while (back.status !== 200 && Date.now() - t0 < 10_000) {
      await new Promise((res) => setTimeout(res, 200));
      back = await health();
    }
    expect(back.status).toBe(200);
    expect(back.body.checks.redis).toMatchObject({ status: 'up' });
  }, 30_000);

  it('settings with the proxy URLs are what the app used (the test is not vacuous)', () => {
    expect(loadSettings().databaseUrl).toContain(`:${pgProxy.port}/`);
  });
});
