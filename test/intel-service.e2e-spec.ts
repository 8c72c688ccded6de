import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Finding } from '../src/engine/finding';
import { pcapFile } from './support/frame-builder';
import {
  BAD_DOMAIN,
  BAD_IP,
  DOMAIN_LIST,
  IP_LIST,
  intelScenario,
  scenarioPcap,
  startFeedServer,
  type FeedServer,
} from './support/intel-scenario';
import { runCli } from './support/run-cli';
import {
  TEST_API_KEY,
  serviceEnv,
  startApi,
  startWorker,
  type ApiProcess,
  type ServiceProcess,
} from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * Threat intel in the service (real processes: dist/ API + two workers, real PostgreSQL and
 * Redis, a local feed server): feeds added through POST /intel/feeds are fetched by the API into
 * the shared data directory, the workers pick them up, and an uploaded capture's /alerts equal
 * `netwarden analyze --intel <the API's feeds file> --intel-cache <its cache>` on the same file,
 * ids included. Small chunks, so a capture crosses both workers.
 */
interface CaptureView {
  id: string;
  status: string;
  intelVersion: string | null;
  errors: Array<{ offset: number; message: string }>;
  progress: { chunksDone: number; chunksTotal: number | null };
}

describe('threat intel in the workers', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let feeds: FeedServer;
  const workers: ServiceProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'nw-intel-svc-'));
  const files = mkdtempSync(join(tmpdir(), 'nw-intel-svc-files-'));
  const headers = { 'x-api-key': TEST_API_KEY };
  const listed = join(files, 'listed.pcap');
  const unlisted = join(files, 'unlisted.pcap');

  beforeAll(async () => {
    feeds = await startFeedServer();
    feeds.routes.set('/ips.txt', { body: IP_LIST, etag: '"v1"' });
    feeds.routes.set('/domains.txt', { body: DOMAIN_LIST });
    writeFileSync(listed, scenarioPcap());
    // Frames 11-17 of the scenario: a lookup of good.example and a TLS session with 203.0.113.9.
    const t = intelScenario();
    writeFileSync(
      unlisted,
      pcapFile(
        t.frames.slice(10).map((f) => f.data),
        { linkType: 1, start: t.start, step: 0.05 },
      ),
    );
    db = await createTestDatabase();
    await db.dataSource.destroy();
    const env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, CHUNK_MAX_PACKETS: '4' });
    api = await startApi(env);
    workers.push(startWorker(env), startWorker(env));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
    await feeds?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  async function postFeed(body: object): Promise<{ status: number; result: { status: string; indicators: number } }> {
    const r = await fetch(`${api.url}/intel/feeds`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await r.json()) as { result: { status: string; indicators: number } };
    return { status: r.status, result: json.result };
  }

  async function upload(file: string, force = false): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(file)]), basename(file));
    const r = await fetch(`${api.url}/captures${force ? '?force=true' : ''}`, { method: 'POST', headers, body: form });
    const body = (await r.json()) as { id: string };
    expect([r.status, typeof body.id]).toEqual([202, 'string']);
    return body.id;
  }

  async function waitDone(id: string): Promise<CaptureView> {
    const until = Date.now() + 60_000;
    for (;;) {
      const v = (await (await fetch(`${api.url}/captures/${id}`, { headers })).json()) as CaptureView;
      if (v.status === 'done' || v.status === 'failed') return v;
      if (Date.now() > until)
        throw new Error(`not done: ${JSON.stringify(v)}\n${workers.map((w) => w.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function alerts(id: string): Promise<Finding[]> {
    const r = await fetch(`${api.url}/alerts?capture=${id}&limit=100`, { headers });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: Finding[]; total: number };
    expect(body.items.length).toBe(body.total);
    return body.items;
  }

  /** `analyze --json` with the service's own feeds file and cache, as the capture's id. */
  function analyze(file: string, id: string): Finding[] {
    const r = runCli([
      'analyze',
      '--json',
      '--intel',
      join(dataDir, 'intel-feeds.json'),
      '--intel-cache',
      join(dataDir, 'intel-cache'),
      '--capture-id',
      id,
      file,
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  }

  const intelHits = (fs: Finding[]) =>
    fs
      .filter((f) => f.detector === 'threat-intel')
      .map((f) => [f.type, f.evidence.field, f.evidence.indicator, f.evidence.feeds, f.count]);

  it('feeds added through the API reach the workers: /alerts equal analyze --intel on the same file', async () => {
    expect(await postFeed({ name: 'test-ips', url: `${feeds.url}/ips.txt`, type: 'ip' })).toEqual({
      status: 201,
      result: expect.objectContaining({ status: 'updated', indicators: 4 }),
    });
    expect(
      await postFeed({ name: 'test-domains', url: `${feeds.url}/domains.txt`, type: 'domain', severity: 'medium' }),
    ).toEqual({ status: 201, result: expect.objectContaining({ status: 'updated', indicators: 2 }) });

    const feedList = (await (await fetch(`${api.url}/intel/feeds`, { headers })).json()) as { version: string };
    const id = await upload(listed);
    const v = await waitDone(id);
    expect([v.status, v.progress.chunksDone, v.progress.chunksTotal, v.errors]).toEqual(['done', 5, 5, []]);
    // The workers built the very index the API holds (same files, same version).
    expect(v.intelVersion).toBe(feedList.version);
    const got = await alerts(id);
    const expected = analyze(listed, id);
    expect(got).toEqual(expected);
    expect(intelHits(got)).toEqual([
      ['blocklisted-domain', 'dns.query', BAD_DOMAIN, ['test-domains'], 2],
      ['blocklisted-domain', 'tls.sni', BAD_DOMAIN, ['test-domains'], 1],
      ['blocklisted-ip', 'ip.dst', BAD_IP.ip, ['test-ips'], 2],
      ['blocklisted-ip', 'ip.src', BAD_IP.ip, ['test-ips'], 1],
    ]);
    // The workers' timer (WORKER_INTEL_CHECK_MS, 30 s) has not fired: the capture's start reloaded the index.
    expect(workers.map((w) => w.output()).join('')).toMatch(/intel: index [0-9a-f]{24} loaded \(2 feeds;/);
  }, 90_000);

  it('an unlisted capture gets no threat-intel finding', async () => {
    const id = await upload(unlisted);
    expect((await waitDone(id)).status).toBe('done');
    const got = await alerts(id);
    expect(got).toEqual(analyze(unlisted, id));
    expect(intelHits(got)).toEqual([]);
  }, 90_000);

  it('a feed changed through the API is used for captures uploaded after it', async () => {
    feeds.routes.set('/domains.txt', { body: `${DOMAIN_LIST}good.example\n` });
    const r = await fetch(`${api.url}/intel/feeds/test-domains/refresh`, { method: 'POST', headers });
    expect(r.status).toBe(200);
    const id = await upload(unlisted, true);
    expect((await waitDone(id)).status).toBe('done');
    const got = await alerts(id);
    expect(got).toEqual(analyze(unlisted, id));
    expect(intelHits(got)).toEqual([
      ['blocklisted-domain', 'dns.query', 'good.example', ['test-domains'], 2],
      ['blocklisted-domain', 'tls.sni', 'good.example', ['test-domains'], 1],
    ]);
  }, 90_000);
});
