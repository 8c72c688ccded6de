import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { TEST_API_KEY, type ApiProcess, type ServiceProcess } from './support/service-processes';
import { ServiceStack } from './support/service-stack';

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
  let stack: ServiceStack;
  let api: ApiProcess;
  let feeds: FeedServer;
  let workers: ServiceProcess[];
  let dataDir: string;
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
    stack = await ServiceStack.start({ name: 'intel-svc', env: { CHUNK_MAX_PACKETS: '4' } });
    ({ api, workers, dataDir } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await feeds?.close();
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
    const r = await stack.upload(file, force ? 'force=true' : '');
    expect([r.status, typeof r.body.id]).toEqual([202, 'string']);
    return r.body.id!;
  }

  const waitDone = (id: string) => stack.waitDone<CaptureView>(id);

  const alerts = (id: string) => stack.alerts(id);

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
