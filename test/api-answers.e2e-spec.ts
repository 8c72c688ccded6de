import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/paths';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

/**
 * What every answer of the built API process shares (dist/; `npm run build` first), read from
 * the outside as a client and an operator see it: Cache-Control, the 401/404 of unknown routes,
 * and — provoked on the real /alerts route by removing the findings table from this suite's own
 * database — the generic 500 whose log line at error level holds an id, the route and PostgreSQL's
 * SQLSTATE, and nothing of the SQL or the request's values (those only at debug level, LOG_LEVEL=debug).
 */
const built = existsSync(join(ROOT, 'dist', 'src', 'main.js'));
const auth = { 'X-API-Key': TEST_API_KEY };

/** Nest's console logger tags each line with its level (and colours it: the escapes are dropped). */
const levelLines = (out: string, level: 'ERROR' | 'DEBUG') =>
  out
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => l.includes(` ${level} `));

(built ? describe : describe.skip)('API answers (process)', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'nw-answers-'));
    api = await startApi(serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir }));
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(`${api.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });

  it('Cache-Control: no-store on every answer: the new key, reads, errors, health and the docs', async () => {
    const created = await call(
      'POST',
      '/auth/keys',
      { ...auth, 'content-type': 'application/json' },
      '{"name":"cc","role":"read"}',
    );
    expect(created.status).toBe(201);
    const answers = [
      created,
      await call('POST', '/auth/token', auth),
      await call('GET', '/alerts', auth),
      await call('GET', '/health'),
      await call('GET', '/docs-json', auth),
      await call('GET', '/alerts'), // 401
      await call('GET', '/alerts?bogus=1', auth), // 400
      await call('GET', '/captures/7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a59', auth), // 404
      await call('GET', '/no/such/route', auth), // 404
      await call('POST', '/auth/keys', auth), // 400
    ];
    expect(answers.map((r) => [r.status, r.headers.get('cache-control')])).toEqual(
      [201, 200, 200, 200, 200, 401, 400, 404, 404, 400].map((s) => [s, 'no-store']),
    );
  });

  it('unknown routes: 401 without a valid key (no route enumeration), 404 with one', async () => {
    for (const [method, path] of [
      ['GET', '/no/such/route'],
      ['GET', '/'],
      ['DELETE', '/alerts'],
      ['PUT', '/captures/x'],
      ['GET', '/alerts/x/y/z'],
    ]) {
      const anon = await call(method, path);
      const wrong = await call(method, path, { 'X-API-Key': 'nwk_wrong' });
      const keyed = await call(method, path, auth);
      expect([method, path, anon.status, wrong.status, keyed.status]).toEqual([method, path, 401, 401, 404]);
      expect(await anon.json()).toEqual({ statusCode: 401, message: expect.stringMatching(/^missing or invalid/) });
    }
    // The known routes are still served, public ones without a key.
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/docs-json', auth)).status).toBe(200);
  });

  it("a body Express' parser refuses is the client's error: its 4xx, not a 500, and nothing logged at error level", async () => {
    const logStart = api.output().length;
    const json = (type: string, body: string) => call('POST', '/auth/keys', { ...auth, 'content-type': type }, body);
    const answers = [
      await json('application/json', '{"name": '),
      await json('application/json; charset=bogus', '{}'),
      // Read as UTF-16, '{}' is no JSON.
      await json('application/json; charset=utf-16', '{}'),
      await json('application/json', `{"name":"${'x'.repeat(200_000)}"}`),
    ];
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ statusCode: number; error: string }>;
    expect(answers.map((r) => r.status)).toEqual([400, 415, 400, 413]);
    expect(bodies.map((b) => [b.statusCode, b.error])).toEqual([
      [400, 'Bad Request'],
      [415, 'Unsupported Media Type'],
      [400, 'Bad Request'],
      [413, 'Payload Too Large'],
    ]);
    expect(levelLines(api.output().slice(logStart), 'ERROR')).toEqual([]);
  });

  it('a database error answers a generic 500 with an id; the error-level log line has no SQL and no values', async () => {
    await db.dataSource.query('ALTER TABLE findings RENAME TO findings_gone');
    try {
      const secret = 'type-value-7f3a9c';
      const r = await call('GET', `/alerts?type=${secret}`, auth);
      const text = await r.text();
      expect(r.status).toBe(500);
      const body = JSON.parse(text) as { id: string };
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      });
      expect(r.headers.get('cache-control')).toBe('no-store');
      await waitFor('the log line', async () => (api.output().includes(body.id) ? true : undefined), 5000);
      const errors = levelLines(api.output(), 'ERROR').filter((l) => l.includes(body.id));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`internal error ${body.id} on GET /alerts: QueryFailedError 42P01$`));
      for (const leak of [secret, 'SELECT', 'findings', 'at ']) expect(errors[0]).not.toContain(leak);
      // Nothing else at error level (Nest's own handler would print the message and stack).
      expect(levelLines(api.output(), 'ERROR').filter((l) => !l.includes(body.id))).toEqual([]);
      // At the default LOG_LEVEL (log) the details are not printed at all.
      expect(levelLines(api.output(), 'DEBUG')).toEqual([]);
      // LOG_LEVEL=debug prints them, under the answer's id.
      const verbose = await startApi(
        serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, LOG_LEVEL: 'debug' }),
      );
      try {
        const r2 = await fetch(`${verbose.url}/alerts?type=${secret}`, { headers: auth });
        const { id } = (await r2.json()) as { id: string };
        expect(r2.status).toBe(500);
        await waitFor(
          'the debug line',
          async () => (verbose.output().includes(`${id} details`) ? true : undefined),
          5000,
        );
        const debug = levelLines(verbose.output(), 'DEBUG').filter((l) => l.includes(id));
        expect(debug).toHaveLength(1);
        expect(debug[0]).toContain(secret);
        expect(debug[0]).toContain('SELECT');
      } finally {
        await verbose.stop();
      }
    } finally {
      await db.dataSource.query('ALTER TABLE findings_gone RENAME TO findings');
    }
  });
});
