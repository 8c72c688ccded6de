import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { IP_LIST, scenarioPcap, startFeedServer, type FeedServer } from './support/intel-scenario';
import { ROOT } from './support/paths';
import {
  TEST_API_KEY,
  launch,
  serviceEnv,
  startApi,
  startWorker,
  type ApiProcess,
  type ServiceProcess,
} from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * Raw packets at rest (issue 13): the real API and worker processes and the CLI, each started
 * under umask 022 — which leaves anything created without an explicit mode 0644 / 0755, readable
 * by every user of the host — write everything they write in the data directory: a threat-intel
 * feed's feeds file and cached copy (API), an upload's chunk files (API) analysed by the worker,
 * the capture and evidence exports, `analyze --db` chunk files and a `--baseline` file (CLI).
 * Then the whole tree is walked: every directory 0700, every file 0600 — and the data directory,
 * made 0755 beforehand, was tightened by the first process to start, which said so once.
 */
const UMASK = '022';

/** Every path under root (root itself as "."), with its permission bits in octal. */
function modesUnder(root: string): Array<{ path: string; dir: boolean; mode: string }> {
  const out: Array<{ path: string; dir: boolean; mode: string }> = [];
  const visit = (p: string) => {
    const st = statSync(p);
    out.push({ path: relative(root, p) || '.', dir: st.isDirectory(), mode: (st.mode & 0o777).toString(8) });
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(root);
  return out;
}

describe('raw packets at rest: API, worker and CLI under umask 022 write only 0600 files in 0700 directories', () => {
  let db: TestDatabase;
  let feeds: FeedServer;
  let root: string;
  let dataDir: string;
  let env: Record<string, string>;
  let api: ApiProcess;
  let worker: ServiceProcess;
  const headers = { 'x-api-key': TEST_API_KEY };

  beforeAll(async () => {
    feeds = await startFeedServer();
    feeds.routes.set('/ips.txt', { body: IP_LIST });
    db = await createTestDatabase();
    await db.dataSource.destroy();
    root = mkdtempSync(join(tmpdir(), 'nw-modes-e2e-'));
    dataDir = join(root, 'data');
    // As an operator's `mkdir data` (or an older netwarden) leaves it.
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir, CHUNK_MAX_PACKETS: '4' });
    api = await startApi(env, 30_000, { umask: UMASK });
    worker = startWorker(env, { umask: UMASK });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.drop();
    await feeds?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the processes really run with umask 022', () => {
    for (const p of [api.proc, worker.proc]) {
      expect(/^Umask:\s*(\d+)$/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]).toBe('0022');
    }
  });

  it('a feed, an upload analysed in chunks, its exports and analyze --db leave nothing readable by others', async () => {
    const feed = await fetch(`${api.url}/intel/feeds`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'test-ips', url: `${feeds.url}/ips.txt`, type: 'ip' }),
    });
    expect(feed.status).toBe(201);

    const form = new FormData();
    form.append('file', new Blob([scenarioPcap()]), 'scenario.pcap');
    const up = await fetch(`${api.url}/captures`, { method: 'POST', headers, body: form });
    expect(up.status).toBe(202);
    const { id } = (await up.json()) as { id: string };
    let view: { status: string; progress: { chunksTotal: number } };
    for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 100))) {
      view = (await (await fetch(`${api.url}/captures/${id}`, { headers })).json()) as typeof view;
      if (view.status === 'done' || view.status === 'failed' || Date.now() > until) break;
    }
    expect([view.status, view.progress.chunksTotal > 1]).toEqual(['done', true]);
    expect((await fetch(`${api.url}/captures/${id}/pcap`, { headers })).status).toBe(200);
    const alerts = (await (await fetch(`${api.url}/alerts?capture=${id}`, { headers })).json()) as {
      items: Array<{ id: string }>;
    };
    expect(alerts.items.length).toBeGreaterThan(0);
    expect((await fetch(`${api.url}/alerts/${alerts.items[0].id}/pcap`, { headers })).status).toBe(200);

    const file = join(root, 'scenario.pcap');
    writeFileSync(file, scenarioPcap());
    const [cmd, args] = launch(
      [
        process.execPath,
        join(ROOT, 'bin', 'netwarden.js'),
        'analyze',
        '--json',
        '--db',
        db.url,
        '--data-dir',
        dataDir,
        '--baseline',
        join(dataDir, 'lab-baseline.json'),
        '--learn',
        '--network',
        'lab',
        file,
      ],
      UMASK,
    );
    const cli = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...env, FORCE_COLOR: '0' } });
    expect([cli.status, cli.stderr]).toEqual([0, expect.stringContaining('baseline')]);

    const tree = modesUnder(dataDir);
    // What must be there, so the walk below is over the real writers' output.
    const paths = tree.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '.',
        'captures',
        `captures/${id}`,
        `captures/${id}/000000.pcap`,
        `captures/${id}/000001.pcap`,
        'intel-feeds.json',
        'intel-cache',
        'intel-cache/test-ips.data',
        'intel-cache/test-ips.meta.json',
        'lab-baseline.json',
      ]),
    );
    expect(paths.filter((p) => /^captures\/[^/]+$/.test(p)).length).toBe(2); // the upload's and the CLI's
    const loose = tree.filter((e) => e.mode !== (e.dir ? '700' : '600')).map((e) => `${e.path} ${e.mode}`);
    expect(loose).toEqual([]);

    const said = /data directory \S+ was 0755: now 0700/g;
    expect([api.output().match(said)?.length, worker.output().match(said), cli.stderr.match(said)]).toEqual([
      1,
      null,
      null,
    ]);
  }, 120_000);
});
