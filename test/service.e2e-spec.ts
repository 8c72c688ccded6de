import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCli } from './support/run-cli';
import { SHARED_PCAPS, capturesIn, fixtureCaptures } from './support/paths';
import {
  TEST_API_KEY,
  serviceEnv,
  startApi,
  startWorker,
  type ApiProcess,
  type ServiceProcess,
} from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';
import type { Finding } from '../src/engine/finding';

/**
 * The one code path, end to end (issue 6, first must-show): every capture of fixtures/ (and the
 * attack recordings) uploaded to the real API process, analysed by two real worker processes in
 * small chunks, and the findings read back through GET /alerts equal `netwarden analyze --json`
 * on the same file — exactly, ids included (analyze gets the capture's id through --capture-id).
 */
const CAPTURES = [...fixtureCaptures(), ...capturesIn(join(SHARED_PCAPS, 'attacks'))];

interface CaptureView {
  id: string;
  status: string;
  reason: string | null;
  progress: { chunksDone: number; chunksTotal: number | null; packets: number };
}

describe('upload → workers → /alerts equals analyze --json', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  const workers: ServiceProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'nw-service-'));
  const headers = { 'x-api-key': TEST_API_KEY };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.destroy();
    // Small chunks so that most captures cross several chunks (and both workers).
    const env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, CHUNK_MAX_PACKETS: '97' });
    api = await startApi(env);
    workers.push(startWorker(env), startWorker(env));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function upload(file: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(file)]), basename(file));
    const r = await fetch(`${api.url}/captures`, { method: 'POST', headers, body: form });
    const body = (await r.json()) as { id: string };
    expect([r.status, body]).toEqual([202, expect.objectContaining({ id: expect.any(String) })]);
    return body.id;
  }

  async function waitDone(id: string): Promise<CaptureView> {
    const until = Date.now() + 60_000;
    for (;;) {
      const v = (await (await fetch(`${api.url}/captures/${id}`, { headers })).json()) as CaptureView;
      if (v.status === 'done' || v.status === 'failed') return v;
      if (Date.now() > until) throw new Error(`not done: ${JSON.stringify(v)}\n${workers.map((w) => w.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function alerts(id: string): Promise<Finding[]> {
    const out: Finding[] = [];
    for (let page = 1; ; page++) {
      const r = await fetch(`${api.url}/alerts?capture=${id}&limit=100&page=${page}`, { headers });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { items: Finding[]; total: number };
      out.push(...body.items);
      if (out.length >= body.total || body.items.length === 0) return out;
    }
  }

  it('has captures to check', () => {
    expect(CAPTURES.length).toBeGreaterThanOrEqual(2);
  });

  it.each(CAPTURES.map((f) => [basename(f), f]))('%s', async (_name, file) => {
    const id = await upload(file);
    const v = await waitDone(id);
    expect(v.status).toBe('done');
    expect(v.progress.chunksDone).toBe(v.progress.chunksTotal);
    const cli = runCli(['analyze', '--json', '--capture-id', id, file]);
    expect(cli.stderr).not.toMatch(/TypeError|at \w+ \(/);
    const expected = (JSON.parse(cli.stdout) as { findings: Finding[] }).findings;
    expect(await alerts(id)).toEqual(expected);
  }, 90_000);
});
