import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { requestsFor, type FuzzContext, type FuzzRequest } from './support/http-fuzz-requests';
import { operationsOf, type Operation } from './support/openapi-operations';
import { ROOT, SHARED_PCAPS } from './support/paths';
import { seedCapture } from './support/seed-capture';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * HTTP fuzzing of every operation the OpenAPI document (/docs-json) lists, against the built API
 * process (dist/; `npm run build` first) on the real PostgreSQL and Redis, with two captures
 * stored the way a worker stores them so that valid ids lead somewhere. fast-check generates the
 * requests (see support/http-fuzz-requests.ts) from a printed seed: HTTP_FUZZ_SEED replays a run,
 * HTTP_FUZZ_RUNS sets the requests per operation (`npm run fuzz:http` runs 1000).
 *
 * Every answer must be below 500 and carry no stack trace or SQL; the API's log must hold no
 * error-level line for the whole run. Failures are collected, not thrown at the first: the report
 * lists one request per distinct (operation, status, problem) to replay.
 */
const built = existsSync(join(ROOT, 'dist', 'src', 'main.js'));
const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.HTTP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIMEOUT_MS = 20_000;

const STACK = /\n\s+at .+:\d+:\d+\)?/;
const SQL =
  /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[\s\S]*\b(FROM|VALUES|SET|WHERE)\b|QueryFailedError|syntax error at or near/i;
const ANSI = /\x1b\[[0-9;]*m/g;

interface Outcome {
  req: FuzzRequest;
  status: number;
  problem: string | null;
}

async function send(base: string, req: FuzzRequest): Promise<Outcome> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(`${base}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: ctrl.signal,
      redirect: 'manual',
    });
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      ctrl.abort(); // a subscription never ends: its status and headers are the answer
      return { req, status: res.status, problem: res.status >= 500 ? 'status' : null };
    }
    const body = Buffer.from(await res.arrayBuffer());
    const readable = /json|text|html/.test(type) || type === '';
    const shown = readable ? body.toString('utf8') : '';
    const problem =
      res.status >= 500
        ? 'status'
        : STACK.test(shown)
          ? 'stack trace in body'
          : SQL.test(shown)
            ? 'SQL in body'
            : res.headers.get('cache-control') !== 'no-store'
              ? 'no Cache-Control: no-store'
              : null;
    return { req, status: res.status, problem };
  } catch (err) {
    if (err instanceof TypeError && /header|Header|ByteString/.test(String(err.message)))
      return { req, status: 0, problem: null }; // not sendable by fetch: never reached the server
    return { req, status: -1, problem: `no answer: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

const shownRequest = (r: FuzzRequest) =>
  `${r.method} ${r.url.slice(0, 300)} ${JSON.stringify(r.headers)}${r.body ? ` body(${r.body.length} B): ${JSON.stringify(Buffer.from(r.body).subarray(0, 200).toString('latin1'))}` : ''}`;

(built ? describe : describe.skip)('HTTP fuzzing of every OpenAPI operation (process)', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let dataDir: string;
  let ops: Operation[];
  let ctx: FuzzContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'nw-httpfuzz-'));
    const attacks = join(SHARED_PCAPS, 'attacks');
    const seeded = [
      await seedCapture(db.dataSource, dataDir, join(attacks, 'http-basic-and-form.pcap')),
      await seedCapture(db.dataSource, dataDir, join(attacks, 'scan-udp.pcap')),
    ];
    const findings = (await db.dataSource.query('SELECT id FROM findings ORDER BY id LIMIT 20')) as Array<{
      id: string;
    }>;
    api = await startApi(serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir }));
    const doc = (await (
      await fetch(`${api.url}/docs-json`, { headers: { 'X-API-Key': TEST_API_KEY } })
    ).json()) as unknown;
    // Deletes last, so that what the other operations create (feeds, keys) is there for them to use.
    ops = operationsOf(doc).sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    const present = new Set(Object.keys(networkInterfaces()));
    ctx = {
      adminKey: TEST_API_KEY,
      known: {
        '/captures/{id}': seeded.map((s) => s.id),
        '/captures/{id}/pcap': seeded.map((s) => s.id),
        // Deleting the seeded captures would leave the rest of the run without data.
        'DELETE /captures/{id}': [],
        '/alerts/{id}': findings.map((f) => f.id),
        '/alerts/{id}/pcap': findings.map((f) => f.id),
        // Never the admin key this run uses (the fuzzer knows no other key id either).
        '/auth/keys/{id}': [],
        '/intel/feeds/{name}': ['fz-a', 'fz-b'],
        '/intel/feeds/{name}/refresh': ['fz-a', 'fz-b'],
      },
      capture: readFileSync(join(attacks, 'ftp-login.pcap')),
      absentInterfaces: ['nwfuzz0', 'nwfuzz-1', 'nwfz.9'].filter((n) => !present.has(n)),
      // Port 9 (discard) on loopback: nothing listens, the fetch fails at once, nothing leaves the host.
      loopbackFeedUrls: ['http://127.0.0.1:9/feed.txt', 'https://127.0.0.1:9/x?y=1'],
    };
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('no 5xx, no stack trace or SQL in any answer, no error in the log', async () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    expect(ctx.absentInterfaces.length).toBeGreaterThan(0);
    const logStart = api.output().length;
    const started = Date.now();
    const outcomes: Outcome[] = [];
    const perOp = new Map<string, Map<number, number>>();
    ops.forEach((op, i) => {
      // One seed for the run, a derived one per operation: adding a route does not change the others' requests.
      for (const req of fc.sample(requestsFor(op, ctx), { seed: SEED + i, numRuns: RUNS }))
        outcomes.push({ req, status: 0, problem: null });
    });
    for (const o of outcomes) {
      const r = await send(api.url, o.req);
      o.status = r.status;
      o.problem = r.problem;
      const counts = perOp.get(o.req.op) ?? new Map<number, number>();
      counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      perOp.set(o.req.op, counts);
    }
    const seconds = (Date.now() - started) / 1000;
    const sent = outcomes.filter((o) => o.status !== 0).length;
    const table = [...perOp]
      .map(
        ([op, c]) =>
          `  ${op.padEnd(34)} ${[...c]
            .sort(([a], [b]) => a - b)
            .map(([s, n]) => `${s}×${n}`)
            .join(' ')}`,
      )
      .join('\n');
    const log = api.output().slice(logStart).replace(ANSI, '');
    const errorLines = log.split('\n').filter((l) => / (ERROR|FATAL) /.test(l));
    const distinct = new Map<string, Outcome>();
    for (const o of outcomes.filter((x) => x.problem !== null)) distinct.set(`${o.req.op} ${o.status} ${o.problem}`, o);
    // The summary the README quotes; the seed replays this exact run.
    process.stdout.write(
      `HTTP fuzz: seed ${SEED}, ${RUNS} per operation, ${sent} requests over ${perOp.size} operations in ${seconds.toFixed(1)} s; ` +
        `${distinct.size} distinct problems, ${errorLines.length} error log lines\n${table}\n`,
    );
    expect(perOp.size).toBe(ops.length);
    expect([...distinct].map(([k, o]) => `${k}: ${shownRequest(o.req)}`)).toEqual([]);
    expect(errorLines).toEqual([]);
  }, 1_800_000);
});
