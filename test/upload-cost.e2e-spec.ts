import { encodePcapHeader } from '../src/engine/capture/pcap.writer';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { ANALYSIS_QUEUE, redisOptions } from '../src/queue/analysis-queue';
import { SHARED_PCAPS } from './support/paths';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * What one upload may cost the API (issue 13): a gzip may not inflate beyond UPLOAD_MAX_GZIP_RATIO
 * of what was received, a capture of empty or repeated records is refused, the bytes a key uploads
 * per window are budgeted (THROTTLE_UPLOAD_BYTES) — and the upload route's smaller defects: unknown
 * query parameters, duplicates with other analysis options, gzip as `gzip -d` reads it. Real API
 * processes (dist/, `npm run build` first), the suite's own database and Redis prefix; no worker.
 */
const SCAN = join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap');
const scan = readFileSync(SCAN);
const scanSha = createHash('sha256').update(scan).digest('hex');
const KEY = { 'x-api-key': TEST_API_KEY };
const PCAP_TYPE = 'application/vnd.tcpdump.pcap';
const GZIP_TYPE = 'application/gzip';
const BUDGET = 400_000; // bytes per window on the budget API: two scan-syn.pcap (148 536 B) fit, three do not

type Json = Record<string, unknown> & { id?: string; message?: string };

/** A classic pcap global header (microseconds, Ethernet). */
const pcapHeader = (): Buffer => encodePcapHeader({ linkType: 1 });

/** `count` records with capLen 0, each a second after the one before (so none repeats another). */
function emptyRecords(count: number): Buffer {
  const b = Buffer.alloc(count * 16);
  for (let i = 0; i < count; i++) b.writeUInt32LE(1_700_000_000 + i, i * 16);
  return b;
}

/** The real gzip binary's output for `bytes` (argv, no shell). */
function gzipBinary(bytes: Buffer): Buffer {
  const r = spawnSync('gzip', ['-c', '-6'], { input: bytes, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`gzip failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** CPU seconds (user + system) and bytes handed to write() (wchar) of a process so far. */
function processCost(pid: number): { cpuS: number; writtenBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  const wchar = /wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return { cpuS: ticks / 100, writtenBytes: Number(wchar![1]) };
}

describe('upload cost and the upload route (POST /captures)', () => {
  let db: TestDatabase;
  /** The budget API's own database: its uploads must not be duplicates of the other API's. */
  let budgetDb: TestDatabase;
  let prefix: string;
  let root: string;
  let api: ApiProcess;
  let budget: ApiProcess;

  async function call(base: string, path: string, init: RequestInit = {}) {
    const res = await fetch(`${base}${path}`, { ...init, headers: { ...KEY, ...(init.headers ?? {}) } });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json, res };
  }
  const raw = (bytes: Buffer, query = '', type = PCAP_TYPE, base = api.url) =>
    call(base, `/captures${query}`, { method: 'POST', body: bytes, headers: { 'content-type': type } });

  function expectError(r: { status: number; body: Json }, status: number, reason: RegExp): void {
    expect([r.status, r.body.statusCode]).toEqual([status, status]);
    expect(r.body.message).toMatch(reason);
  }

  /** A refused upload leaves no directory: only stored captures have one. */
  async function expectDiskMatchesRows(dataDir: string): Promise<void> {
    const rows = (await db.dataSource.query('SELECT id FROM captures ORDER BY id')) as Array<{ id: string }>;
    const dir = join(dataDir, 'captures');
    const dirs = existsSync(dir) ? readdirSync(dir).sort() : [];
    expect(dirs).toEqual(rows.map((r) => r.id));
  }

  beforeAll(async () => {
    [db, budgetDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    prefix = testRedisPrefix();
    root = join(tmpdir(), `nw-upload-cost-${process.pid}-${Date.now()}`);
    mkdirSync(join(root, 'api'), { recursive: true });
    mkdirSync(join(root, 'budget'), { recursive: true });
    const env = { databaseUrl: db.url, redisPrefix: prefix };
    [api, budget] = await Promise.all([
      startApi(serviceEnv({ ...env, dataDir: join(root, 'api') })),
      startApi(
        serviceEnv({
          databaseUrl: budgetDb.url,
          // Its own prefix: the budget counters of this API are not the other one's.
          redisPrefix: `${prefix}-budget`,
          dataDir: join(root, 'budget'),
          UPLOAD_MAX_BYTES: '200000',
          THROTTLE_UPLOAD_BYTES: String(BUDGET),
          // Long enough for three uploads on a busy machine, short enough to wait for its end.
          THROTTLE_TTL_MS: '8000',
        }),
      ),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), budget?.stop()]);
    // The chunk-0 jobs no worker took, under this suite's own prefixes only.
    for (const p of prefix ? [prefix, `${prefix}-budget`] : []) {
      const queue = new Queue(ANALYSIS_QUEUE, {
        connection: redisOptions({ redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }),
        prefix: p,
      });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.all([db?.drop(), budgetDb?.drop()]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  describe('cost amplification', () => {
    afterEach(() => expectDiskMatchesRows(join(root, 'api')));

    it('a 196 KB gzip of zero-length records (193 MB inflated) → 422 naming the share, after one chunk of work', async () => {
      const bomb = gzipSync(Buffer.concat([pcapHeader(), Buffer.alloc(200 * 1024 * 1024)]), { level: 9 });
      expect(bomb.length).toBeLessThan(210 * 1024);
      const before = processCost(api.proc.pid!);
      const r = await raw(bomb, '', GZIP_TYPE);
      const after = processCost(api.proc.pid!);
      console.log(
        `${(bomb.length / 1024).toFixed(0)} KiB zero-record gzip: ${r.status}, API CPU ${(after.cpuS - before.cpuS).toFixed(2)} s, ` +
          `${((after.writtenBytes - before.writtenBytes) / 1024).toFixed(0)} KiB written`,
      );
      expectError(r, 422, /100\.0 % of the 10000\d packet records read are empty .*UPLOAD_MAX_EMPTY_RECORD_SHARE=0\.5/);
      expect(after.writtenBytes - before.writtenBytes).toBeLessThan(1024 * 1024);
    });

    // Deflate tops out near 1030:1; 1000 members of 10 MiB of zeros make a 10 MB multi-member gzip.
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(0x7fffffff, 8); // a record claiming 2 GB: the parser stops, the hash goes on to the end
    const bombs: Array<[string, number, RegExp, Buffer]> = [
      // The issue's: zeros parse as empty records (before: all chunked to disk until the 2 GiB cap).
      ['zeros after a pcap header', 422, /are empty .*UPLOAD_MAX_EMPTY_RECORD_SHARE/, pcapHeader()],
      // Only the decompression is left to bound here: the ratio cap.
      [
        'zeros after a damaged record',
        413,
        /inflates to more than 100 times its size .*UPLOAD_MAX_GZIP_RATIO=100/,
        Buffer.concat([pcapHeader(), scan.subarray(24, 24 + 16 + scan.readUInt32LE(32)), bad]),
      ],
    ];
    it.each(bombs)('a 10 MB gzip bomb (10 GB of %s) → %i after a bounded cost', async (what, status, reason, head) => {
      const zeros = gzipSync(Buffer.alloc(10 * 1024 * 1024), { level: 9 });
      const bomb = Buffer.concat([gzipSync(head), ...Array.from({ length: 1000 }, () => zeros)]);
      expect(bomb.length).toBeGreaterThan(10_000_000);
      const before = processCost(api.proc.pid!);
      const at = Date.now();
      const r = await raw(bomb, '', GZIP_TYPE);
      const ms = Date.now() - at;
      const after = processCost(api.proc.pid!);
      const cpu = after.cpuS - before.cpuS;
      const written = after.writtenBytes - before.writtenBytes;
      console.log(
        `${(bomb.length / 1e6).toFixed(1)} MB gzip bomb (${what}): ${r.status} in ${ms} ms, API CPU ${cpu.toFixed(2)} s, ` +
          `${(written / 1024).toFixed(0)} KiB written`,
      );
      expectError(r, status, reason);
      // Before: ~20 s of CPU (and 2 GB written for the first). Bounds with room for a busy machine.
      expect(cpu).toBeLessThan(5);
      expect(written).toBeLessThan(1024 * 1024);
    });

    it('a capture whose records are mostly empty → 422 naming the share, decided before it is all read', async () => {
      const junk = Buffer.concat([pcapHeader(), scan.subarray(24, 24 + 2000), emptyRecords(200_000)]);
      const r = await raw(junk, '?name=junk.pcap');
      expectError(r, 422, /^junk\.pcap: .*% of the .* packet records .* empty .*UPLOAD_MAX_EMPTY_RECORD_SHARE=0\.5/);
      // Records repeated verbatim (same time, same bytes) count the same.
      const first = scan.subarray(24, 24 + 16 + scan.readUInt32LE(24 + 8));
      const repeated = Buffer.concat([pcapHeader(), ...Array.from({ length: 5000 }, () => first)]);
      expectError(await raw(repeated), 422, /repeat/);
    });

    it('real captures pass: a flood of near-identical packets is not junk', async () => {
      const rsmurf = readFileSync(join(SHARED_PCAPS, 'public', 'ipv6-evasion__ipv6-rsmurf__rsmurf6.pcap'));
      const r = await raw(gzipBinary(rsmurf), '?name=rsmurf6.pcap.gz', GZIP_TYPE);
      expect([r.status, r.body.message]).toEqual([202, undefined]);
      await call(api.url, `/captures/${r.body.id}`, { method: 'DELETE' });
    });
  });

  describe('the upload route', () => {
    it('refuses an unknown query parameter with 400 naming it', async () => {
      expectError(await raw(scan, '?unknown=1'), 400, /unknown query parameter "unknown"/);
      expectError(await raw(scan, '?detectors=port-scan&Force=true'), 400, /"Force"/);
      await expectDiskMatchesRows(join(root, 'api'));
    });

    it('same bytes + same options = duplicate; same bytes + other analysis options = a new capture', async () => {
      const first = await raw(scan, '?name=a.pcap');
      expect(first.status).toBe(202);
      const again = await raw(scan);
      expect([again.status, again.body.id, again.body.duplicate]).toEqual([200, first.body.id, true]);

      const scoped = await raw(scan, '?detectors=port-scan,arp-spoof');
      expect([scoped.status, scoped.body.duplicate]).toEqual([202, false]);
      expect(scoped.body.id).not.toBe(first.body.id);
      expect(scoped.body.detectors).toEqual(['port-scan', 'arp-spoof']);
      // The same set of detectors in another order (or repeated) is the same analysis.
      const same = await raw(gzipSync(scan), '?detectors=arp-spoof,port-scan,arp-spoof', GZIP_TYPE);
      expect([same.status, same.body.id, same.body.duplicate]).toEqual([200, scoped.body.id, true]);

      const withBaseline = await raw(scan, '?baseline=office');
      expect([withBaseline.status, withBaseline.body.duplicate]).toEqual([202, false]);
      const learn = await raw(scan, '?baseline=office&baselineMode=learn');
      expect([learn.status, learn.body.duplicate]).toEqual([202, false]);
      const auto = await raw(scan, '?baseline=office&baselineMode=auto'); // auto is the default mode
      expect([auto.status, auto.body.id]).toEqual([200, withBaseline.body.id]);

      const ids = new Set([first, scoped, withBaseline, learn].map((r) => r.body.id));
      expect(ids.size).toBe(4);
      for (const id of ids) expect((await call(api.url, `/captures/${id}`, { method: 'DELETE' })).status).toBe(204);
    });

    it('decodes gzip as gzip -d does: several members concatenated, trailing garbage ignored with a note', async () => {
      const cut = 70_001; // inside a record: the members split the bytes, not the packets
      const multi = Buffer.concat([gzipBinary(scan.subarray(0, cut)), gzipBinary(scan.subarray(cut))]);
      const m = await raw(multi, '?force=true', GZIP_TYPE);
      expect([m.status, m.body.sha256, m.body.sizeBytes, m.body.errors]).toEqual([202, scanSha, scan.length, []]);

      const tails: Array<[Buffer, RegExp]> = [
        [Buffer.from('GARBAGE after the member\n'), /: 25 trailing bytes after the last gzip member were ignored/],
        // A gzip magic number with an unknown method: gzip -d too prints the first member, then complains.
        [Buffer.from([0x1f, 0x8b, 0x58, 0x58]), /gzip data is damaged .*gzip member 2/],
      ];
      for (const [tail, note] of tails) {
        const withTail = Buffer.concat([gzipBinary(scan), tail]);
        // The reference: gzip -d decodes the capture out of it (with a warning).
        const ref = spawnSync('gzip', ['-dc'], { input: withTail, maxBuffer: 64 * 1024 * 1024 });
        expect(ref.stdout.equals(scan)).toBe(true);
        const r = await raw(withTail, '?force=true', GZIP_TYPE);
        expect([r.status, r.body.sha256, r.body.sizeBytes]).toEqual([202, scanSha, scan.length]);
        expect(r.body.errors).toEqual([{ offset: scan.length, message: expect.stringMatching(note) }]);
      }
      // A damaged member is still damage (as gzip -d says too): what decoded before it is kept, with the error.
      const gz = gzipBinary(scan);
      const damaged = Buffer.concat([gz, gz.subarray(0, gz.length - 40)]);
      const d = await raw(damaged, '?force=true', GZIP_TYPE);
      expect(d.status).toBe(202);
      expect(d.body.errors).toContainEqual({
        offset: expect.any(Number),
        message: expect.stringMatching(/gzip data is damaged .*gzip member 2/),
      });
      await expectDiskMatchesRows(join(root, 'api'));
    });
  });

  describe('upload byte budget (THROTTLE_UPLOAD_BYTES per THROTTLE_TTL_MS per key)', () => {
    it('counts the bytes of every upload, force=true included: beyond the budget → 429 with Retry-After', async () => {
      const b = budget.url;
      expect((await raw(scan, '', PCAP_TYPE, b)).status).toBe(202);
      expect((await raw(scan, '?force=true', PCAP_TYPE, b)).status).toBe(202);
      // The third would take the key past 400 000 bytes in this window: refused, not stored.
      const over = await raw(scan, '?force=true', PCAP_TYPE, b);
      expectError(over, 429, /THROTTLE_UPLOAD_BYTES=400000/);
      const retry = Number(over.res.headers.get('retry-after'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(8);
      // Spent: even a duplicate is refused before its body is read, until the window ends.
      expectError(await raw(scan, '', PCAP_TYPE, b), 429, /THROTTLE_UPLOAD_BYTES/);
      const rows = (await budgetDb.dataSource.query('SELECT count(*)::int AS n FROM captures')) as Array<{ n: number }>;
      expect(rows[0].n).toBe(2);
      expect(readdirSync(join(root, 'budget', 'captures'))).toHaveLength(2);
      await new Promise((r) => setTimeout(r, retry * 1000 + 200));
      const later = await raw(scan, '', PCAP_TYPE, b);
      expect([later.status, later.body.duplicate]).toEqual([200, true]);
      // A new window: multipart uploads pay the same (the duplicate above was charged too).
      const f = () => {
        const form = new FormData();
        form.append('file', new Blob([scan]), 'scan.pcap');
        return call(b, '/captures?force=true', { method: 'POST', body: form });
      };
      expect((await f()).status).toBe(202);
      const overForm = await f();
      expectError(overForm, 429, /upload byte budget spent: 445608 capture bytes/);
      expect(Number(overForm.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(readdirSync(join(root, 'budget', 'captures'))).toHaveLength(3);
    }, 30_000);
  });

  it('answered every bad request with a 4xx: nothing reached the 500 handler', () => {
    for (const p of [api, budget]) expect(p.output()).not.toMatch(/ERROR|ExceptionsHandler|Unhandled/);
  });
});
