import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Finding } from '../src/engine/finding';
import { ROOT, SHARED_PCAPS } from './support/paths';
import { dropDatabase } from './support/test-database';
import { deleteRedisKeys } from './support/test-resources';
import { waitFor } from './support/wait-for';

/**
 * Issue 14's must-show: a newcomer's first run. A clone of the committed repository, a .env
 * naming a database that does not exist yet, and `npm start` with nothing exported — then an
 * upload with the key it printed gives the findings `netwarden analyze --json` gives, Ctrl-C
 * leaves no process and no open port, and a second start prints no key while the first works.
 */
// `npm start` runs tsc over the whole project (~32-36 s measured on the quiet 2-core machine):
// allow ten times that per start on a busy one.
const BUILD_MS = 36_000;
const START_MS = 10 * BUILD_MS;
const CAPTURE = join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap');
const REDIS_DB = 5;

interface Started {
  proc: ChildProcess;
  out(): string;
  url: string;
  exited: Promise<number | null>;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('first run: npm start from a fresh clone', () => {
  const id = randomBytes(5).toString('hex');
  const dbName = `nw_first_run_${id}`;
  const redisPrefix = `nwfirst-${id}`;
  const tmp = mkdtempSync(join(tmpdir(), 'nw-first-run-'));
  const clone = join(tmp, 'netwarden');
  // Nothing of the caller's environment but where programs and npm's cache are: the .env must do.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmp };
  const running: ChildProcess[] = [];

  beforeAll(() => {
    const git = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
    if (git.status !== 0) throw new Error(`git clone failed: ${git.stderr}`);
    // A real `npm ci` takes minutes and downloads; the clone gets the same installed tree instead.
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'));
    writeFileSync(
      join(clone, '.env'),
      [
        `DATABASE_URL=postgres://postgres@127.0.0.1:5432/${dbName}`,
        `REDIS_URL=redis://127.0.0.1:6379/${REDIS_DB}`,
        `REDIS_PREFIX=${redisPrefix}`,
        'PORT=0',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const p of running) if (p.pid && groupAlive(p.pid)) process.kill(-p.pid, 'SIGKILL');
    await dropDatabase(dbName);
    const redis = new Redis({ host: '127.0.0.1', port: 6379, db: REDIS_DB });
    try {
      await deleteRedisKeys(redisPrefix, redis);
    } finally {
      redis.disconnect();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  /** `npm start` in its own process group, as a terminal runs it, until it prints the URL. */
  async function npmStart(): Promise<Started> {
    const proc = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const url = await waitFor(
      'npm start to print the URL',
      async () => {
        if (proc.exitCode !== null) throw new Error(`npm start exited ${proc.exitCode}:\n${out}`);
        return /netwarden is running at (http:\/\/\S+)/.exec(out)?.[1];
      },
      START_MS,
      200,
    );
    return { proc, out: () => out, url, exited };
  }

  /** Ctrl-C: SIGINT to the whole group; then no process of it is left and the port is closed. */
  async function ctrlC(s: Started): Promise<void> {
    const pgid = s.proc.pid!;
    process.kill(-pgid, 'SIGINT');
    await s.exited;
    await waitFor('every process of npm start to exit', async () => (groupAlive(pgid) ? undefined : true), 60_000);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  }

  async function alerts(url: string, key: string, captureId: string): Promise<Finding[]> {
    const out: Finding[] = [];
    for (let page = 1; ; page++) {
      const r = await fetch(`${url}/alerts?capture=${captureId}&limit=100&page=${page}`, {
        headers: { 'x-api-key': key },
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { items: Finding[]; total: number };
      out.push(...body.items);
      if (out.length >= body.total || body.items.length === 0) return out;
    }
  }

  let firstKey = '';
  let captureId = '';

  it(
    'starts, creates the database, prints a key that uploads, and Ctrl-C stops everything',
    async () => {
      const s = await npmStart();
      const out = s.out();
      expect(out).toContain(`database ${dbName} on 127.0.0.1:5432, redis 127.0.0.1:6379 db ${REDIS_DB}`);
      expect(out).toContain('created the database');
      expect(out).toMatch(/SECRET_KEY is not set: generated one into \S+secret-key/);
      expect(out).toMatch(/^api \| netwarden api listening on /m);
      firstKey = /admin API key \(shown this once only[^)]*\): (nwk_\S+)/.exec(out)?.[1] ?? '';
      expect(firstKey).toMatch(/^nwk_/);

      const up = await fetch(`${s.url}/captures?name=scan-syn.pcap`, {
        method: 'POST',
        headers: { 'x-api-key': firstKey, 'content-type': 'application/vnd.tcpdump.pcap' },
        body: readFileSync(CAPTURE),
      });
      expect(up.status).toBe(202);
      captureId = ((await up.json()) as { id: string }).id;
      const view = await waitFor(
        'the capture to be analysed',
        async () => {
          const r = await fetch(`${s.url}/captures/${captureId}`, { headers: { 'x-api-key': firstKey } });
          const v = (await r.json()) as { status: string };
          return v.status === 'done' || v.status === 'failed' ? v : undefined;
        },
        120_000,
        200,
      );
      expect(view.status).toBe('done');

      const cli = spawnSync(
        process.execPath,
        [join(clone, 'bin', 'netwarden.js'), 'analyze', '--json', '--capture-id', captureId, CAPTURE],
        { cwd: clone, env, encoding: 'utf8' },
      );
      expect(cli.status).toBe(0);
      const expected = (JSON.parse(cli.stdout) as { findings: Finding[] }).findings;
      // The scan capture's point: a port scan, found by the service as by analyze.
      expect(expected.map((f) => f.type)).toContain('port-scan');
      expect(await alerts(s.url, firstKey, captureId)).toEqual(expected);
      expect(s.out()).toMatch(/^worker \| .*capture done/m);

      await ctrlC(s);
      expect(s.out()).toContain('netwarden start: stopped');
    },
    START_MS + 300_000,
  );

  it(
    'a second start prints no key, and the first key still works',
    async () => {
      expect(firstKey).not.toBe('');
      const s = await npmStart();
      expect(s.out()).not.toContain('nwk_');
      expect(s.out()).toContain('no key generated');
      expect(s.out()).toMatch(/SECRET_KEY is not set: using the one generated into/);
      const r = await fetch(`${s.url}/captures/${captureId}`, { headers: { 'x-api-key': firstKey } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { status: string }).status).toBe('done');
      await ctrlC(s);
    },
    START_MS + 120_000,
  );
});
