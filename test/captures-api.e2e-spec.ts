import { Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CaptureParser } from '../src/engine/capture/capture-parser';
import { ANALYSIS_QUEUE, analysisJobId, redisOptions, type AnalysisJobData } from '../src/queue/analysis-queue';
import { SHARED_PCAPS } from './support/paths';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * The captures API over real HTTP on the built API process (dist/, `npm run build` first), with
 * the suite's own PostgreSQL database and Redis prefix. No worker runs: chunk 0's job waits in
 * the queue, where the test looks for it.
 */
const SCAN = join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap');
const FLOOD = join(SHARED_PCAPS, 'attacks', 'syn-flood.pcap');
const scan = readFileSync(SCAN);
const scanSha = createHash('sha256').update(scan).digest('hex');
const SMALL_CAP = 100_000; // below scan-syn.pcap's 148 536 bytes
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY = { 'x-api-key': TEST_API_KEY };
const PCAP_TYPE = 'application/vnd.tcpdump.pcap';

type Json = Record<string, unknown> & { id?: string; message?: string };

function countPackets(buf: Buffer): number {
  let n = 0;
  const p = new CaptureParser({ source: 't', onPacket: () => n++ });
  p.write(buf);
  p.end();
  return n;
}

function form(parts: Array<[field: string, bytes: Buffer | string, filename?: string]>): FormData {
  const f = new FormData();
  for (const [field, bytes, filename] of parts) {
    if (filename === undefined) f.append(field, String(bytes));
    else f.append(field, new Blob([bytes]), filename);
  }
  return f;
}

describe('captures API (POST/GET/DELETE /captures)', () => {
  let db: TestDatabase;
  let prefix: string;
  let root: string;
  let dataDir: string;
  let api: ApiProcess;
  let small: ApiProcess;
  let queue: Queue<AnalysisJobData>;

  const capturesDir = () => join(dataDir, 'captures');

  async function call(
    base: string,
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Json; res: Response }> {
    const res = await fetch(`${base}${path}`, { ...init, headers: { ...KEY, ...(init.headers ?? {}) } });
    const text = await res.text();
    let body: Json = {};
    if (text) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      body = JSON.parse(text) as Json;
    }
    return { status: res.status, body, res };
  }
  const raw = (bytes: Buffer, query = '', type = PCAP_TYPE, base = api.url) =>
    call(base, `/captures${query}`, { method: 'POST', body: bytes, headers: { 'content-type': type } });
  const multipart = (f: FormData, query = '', base = api.url) =>
    call(base, `/captures${query}`, { method: 'POST', body: f });

  async function expectHealthy(): Promise<void> {
    for (const p of [api, small]) {
      const res = await fetch(`${p.url}/health`);
      expect(res.status).toBe(200);
      await res.text();
    }
  }

  /** Every capture directory on disk belongs to a row (a refused or duplicate upload leaves nothing). */
  async function expectDiskMatchesRows(): Promise<void> {
    const rows = (await db.dataSource.query('SELECT id FROM captures ORDER BY id')) as Array<{ id: string }>;
    const dirs = existsSync(capturesDir()) ? readdirSync(capturesDir()).sort() : [];
    expect(dirs).toEqual(rows.map((r) => r.id));
  }

  function expectError(r: { status: number; body: Json }, status: number, reason: RegExp): void {
    expect(r.status).toBe(status);
    expect(r.body.statusCode).toBe(status);
    expect(typeof r.body.error).toBe('string');
    expect(r.body.message).toMatch(reason);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    root = join(tmpdir(), `nw-captures-api-${process.pid}-${Date.now()}`);
    dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(join(root, 'small'));
    const env = { databaseUrl: db.url, redisPrefix: prefix, dataDir };
    [api, small] = await Promise.all([
      startApi(serviceEnv({ ...env, CHUNK_MAX_BYTES: '65536' })),
      startApi(serviceEnv({ ...env, dataDir: join(root, 'small'), UPLOAD_MAX_BYTES: String(SMALL_CAP) })),
    ]);
    queue = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, {
      connection: redisOptions({ redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }),
      prefix,
    });
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), small?.stop()]);
    if (queue) {
      await queue.obliterate({ force: true }); // this suite's own prefix only
      await queue.close();
    }
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  let first: Json;

  it('stores a multipart upload as chunk files + rows, enqueues chunk 0 and answers 202 with the capture', async () => {
    const r = await multipart(form([['file', scan, 'scan-syn.pcap']]));
    expect(r.status).toBe(202);
    const id = r.body.id!;
    expect(id).toMatch(UUID);
    expect(r.res.headers.get('location')).toBe(`/captures/${id}`);
    const chunks = (await db.dataSource.query(
      'SELECT seq, file, "firstFrame", packets, "fileBytes", status FROM capture_chunks WHERE "captureId" = $1 ORDER BY seq',
      [id],
    )) as Array<{ seq: number; file: string; firstFrame: string; packets: number; fileBytes: string; status: string }>;
    expect(chunks.length).toBe(3); // 148 536 bytes in 64 KiB chunks
    expect(r.body).toEqual({
      id,
      name: 'scan-syn.pcap',
      source: 'upload',
      sha256: scanSha,
      format: 'pcap',
      sizeBytes: scan.length,
      status: 'queued',
      reason: null,
      errors: [],
      progress: { chunksDone: 0, chunksTotal: 3, packets: 0, bytes: 0, percent: 0 },
      timings: { createdAt: expect.any(String), startedAt: null, finishedAt: null, durationMs: null },
      findings: { total: 0, bySeverity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } },
      detectors: null,
      baseline: null,
      intelVersion: null,
      duplicate: false,
    });
    // The chunk rows describe exactly the files in the capture's directory, every packet once.
    const dir = join(capturesDir(), id);
    expect(readdirSync(dir).sort()).toEqual(chunks.map((c) => c.file));
    let frame = 1;
    for (const [i, c] of chunks.entries()) {
      expect(c.seq).toBe(i);
      expect(c.file).toBe(`${String(i).padStart(6, '0')}.pcap`);
      expect(c.status).toBe('pending');
      const bytes = readFileSync(join(dir, c.file));
      expect(Number(c.fileBytes)).toBe(bytes.length);
      expect(countPackets(bytes)).toBe(c.packets);
      expect(Number(c.firstFrame)).toBe(frame);
      frame += c.packets;
    }
    expect(frame - 1).toBe(countPackets(scan));
    const job = await queue.getJob(analysisJobId(id, 0));
    expect(job?.data).toEqual({ captureId: id, seq: 0 });
    expect(await queue.getJob(analysisJobId(id, 1))).toBeUndefined(); // strictly one chunk at a time
    first = r.body;
  });

  it('recognises the same capture again — raw, gzip raw, gzip multipart — as a duplicate with the same id', async () => {
    const gz = gzipSync(scan);
    for (const r of [
      await raw(scan),
      await raw(scan, '', 'application/octet-stream'),
      await raw(gz, '', 'application/gzip'),
      await multipart(form([['file', gz, 'scan-syn.pcap.gz']])),
    ]) {
      expect(r.status).toBe(200);
      expect(r.res.headers.get('location')).toBeNull();
      expect(r.body).toEqual({ ...first, duplicate: true });
    }
    const rows = (await db.dataSource.query('SELECT count(*)::int AS n FROM captures')) as Array<{ n: number }>;
    expect(rows[0].n).toBe(1);
    await expectDiskMatchesRows();
  });

  it('stores it again under a new id with force=true, with ?name= and ?detectors= recorded', async () => {
    const r = await raw(
      gzipSync(scan),
      '?force=true&name=again.pcap&detectors=port-scan,arp-spoof',
      'application/gzip',
    );
    expect(r.status).toBe(202);
    expect(r.body.id).not.toBe(first.id);
    expect(r.body).toMatchObject({
      name: 'again.pcap',
      sha256: scanSha,
      sizeBytes: scan.length,
      status: 'queued',
      detectors: ['port-scan', 'arp-spoof'],
      duplicate: false,
    });
    expect((await queue.getJob(analysisJobId(r.body.id!, 0)))?.data.seq).toBe(0);
    await expectDiskMatchesRows();
  });

  it('serialises two identical uploads at once: one is stored, the other is its duplicate', async () => {
    const flood = readFileSync(FLOOD);
    const [a, b] = await Promise.all([raw(flood, '?name=a.pcap'), multipart(form([['file', flood, 'b.pcap']]))]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body.id).toBe(b.body.id);
    expect([a.body.duplicate, b.body.duplicate].sort()).toEqual([false, true]);
    await expectDiskMatchesRows();
    // A failed capture does not count: the same file is stored again.
    await db.dataSource.query(`UPDATE captures SET status = 'failed' WHERE id = $1`, [a.body.id]);
    const again = await raw(flood);
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(a.body.id);
    await db.dataSource.query(`DELETE FROM captures WHERE id = $1`, [a.body.id]);
    rmSync(join(capturesDir(), a.body.id!), { recursive: true });
  });

  it('shows one capture with its finding counts by severity (GROUP BY over findings), never the state column', async () => {
    const id = first.id!;
    const insert = (n: number, severity: string, rank: number) =>
      db.dataSource.query(
        `INSERT INTO findings (id, "captureId", "sortKey", detector, type, severity, "severityRank", title, "firstSeen", "lastSeen", count, doc)
         VALUES ($1, $2, '\\x00', 'port-scan', 't', $3, $4, 'x', now(), now(), 1, '{}')`,
        [String(n).padStart(32, '0'), id, severity, rank],
      );
    await insert(1, 'high', 3);
    await insert(2, 'high', 3);
    await insert(3, 'low', 1);
    await db.dataSource.query(`UPDATE captures SET state = '\\xdeadbeef' WHERE id = $1`, [id]);
    const r = await call(api.url, `/captures/${id}`);
    expect(r.status).toBe(200);
    const { duplicate: _dup, ...view } = first;
    expect(r.body).toEqual({
      ...view,
      findings: { total: 3, bySeverity: { info: 0, low: 1, medium: 0, high: 2, critical: 0 } },
    });
    expect(Object.keys(r.body)).not.toContain('state');
  });

  it('pages through captures newest first, filters by status, and refuses bad paging with 400', async () => {
    const all = await call(api.url, '/captures');
    expect(all.status).toBe(200);
    const items = all.body.items as Json[];
    expect(all.body).toMatchObject({ page: 1, limit: 50, total: 3 });
    expect(items).toHaveLength(3);
    const created = items.map((i) => (i.timings as { createdAt: string }).createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    expect(items[2].id).toBe(first.id);
    expect((items[2].findings as { total: number }).total).toBe(3);
    expect(items.every((i) => !('state' in i))).toBe(true);

    const p2 = await call(api.url, '/captures?page=2&limit=2');
    expect(p2.body).toMatchObject({ page: 2, limit: 2, total: 3 });
    expect((p2.body.items as Json[]).map((i) => i.id)).toEqual([first.id]);

    await db.dataSource.query(`UPDATE captures SET status = 'done' WHERE id = $1`, [first.id]);
    const done = await call(api.url, '/captures?status=done');
    expect(done.body.total).toBe(1);
    expect((done.body.items as Json[])[0]).toMatchObject({ id: first.id, status: 'done', progress: { percent: 100 } });
    expect((await call(api.url, '/captures?status=queued')).body.total).toBe(2);
    await db.dataSource.query(`UPDATE captures SET status = 'queued' WHERE id = $1`, [first.id]);

    expectError(await call(api.url, '/captures?limit=201'), 400, /limit: must be an integer from 1 to 200/);
    expectError(await call(api.url, '/captures?limit=0'), 400, /limit/);
    expectError(await call(api.url, '/captures?page=0'), 400, /page/);
    expectError(await call(api.url, '/captures?page=abc'), 400, /page/);
    expectError(await call(api.url, '/captures?status=bogus'), 400, /status: one of receiving, queued/);
    await expectHealthy();
  });

  it('answers 404 with a reason for an unknown id and 400 for one that is not a UUID', async () => {
    const unknown = '5b1a3c7e-0d2f-4a6b-8c9d-0e1f2a3b4c5d';
    expectError(await call(api.url, `/captures/${unknown}`), 404, new RegExp(`no capture with id ${unknown}`));
    expectError(await call(api.url, `/captures/${unknown}`, { method: 'DELETE' }), 404, /no capture/);
    expectError(await call(api.url, '/captures/not-a-uuid'), 400, /must be a UUID/);
    expectError(await call(api.url, '/captures/..%2F..%2Fetc', { method: 'DELETE' }), 400, /must be a UUID/);
    await expectHealthy();
  });

  it('refuses without the API key (401)', async () => {
    const res = await fetch(`${api.url}/captures`);
    expect(res.status).toBe(401);
    const up = await fetch(`${api.url}/captures`, {
      method: 'POST',
      body: scan,
      headers: { 'content-type': PCAP_TYPE },
    });
    expect(up.status).toBe(401);
  });

  describe('bad input: the right 4xx with a reason, nothing left on disk, the API keeps serving', () => {
    afterEach(async () => {
      await expectHealthy();
      await expectDiskMatchesRows();
    });

    it('garbage → 415 naming the file', async () => {
      const html = Buffer.from('<html><body>hello</body></html>');
      expectError(
        await multipart(form([['file', html, 'page.pcap']])),
        415,
        /^page\.pcap: .*HTML.*upload a pcap or pcapng file$/,
      );
      expectError(await raw(html, '?name=raw.pcap'), 415, /^raw\.pcap: .*HTML/);
    });

    it('a truncated global header → 422; a truncated tail → 202 with the damage listed', async () => {
      expectError(await raw(scan.subarray(0, 10)), 422, /no packet could be read/);
      const r = await multipart(form([['file', scan.subarray(0, scan.length - 7), 'cut.pcap']]));
      expect(r.status).toBe(202);
      expect(r.body.sizeBytes).toBe(scan.length - 7);
      expect(r.body.errors).toEqual([
        { offset: expect.any(Number), message: expect.stringMatching(/ends inside a packet record/) },
      ]);
      const rows = (await db.dataSource.query(
        'SELECT sum(packets)::int AS n FROM capture_chunks WHERE "captureId" = $1',
        [r.body.id],
      )) as Array<{ n: number }>;
      expect(rows[0].n).toBe(countPackets(scan) - 1);
    });

    it('a header with no packet record → 422', async () => {
      expectError(await raw(scan.subarray(0, 24)), 422, /no packets/);
    });

    it('zero bytes → 400', async () => {
      expectError(await raw(Buffer.alloc(0)), 400, /empty \(0 bytes\)/);
      expectError(
        await multipart(form([['file', Buffer.alloc(0), 'empty.pcap']])),
        400,
        /^empty\.pcap: the upload is empty/,
      );
    });

    it('a content type that is not a capture or a form → 415 listing what is accepted', async () => {
      const accepted =
        /multipart\/form-data.*application\/vnd\.tcpdump\.pcap, application\/x-pcapng, application\/octet-stream, application\/gzip/;
      expectError(
        await raw(Buffer.from('{"a":1}'), '', 'application/json'),
        415,
        /"application\/json" is not accepted/,
      );
      expectError(await raw(Buffer.from('hello'), '', 'text/plain'), 415, accepted);
      const none = await call(api.url, '/captures', { method: 'POST', body: new Uint8Array(scan) });
      expectError(none, 415, /no Content-Type is not accepted/);
      // Malformed JSON is refused by the body parser, as JSON too.
      const bad = await call(api.url, '/captures', {
        method: 'POST',
        body: '{"a":',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.status).toBe(400);
    });

    it('an upload over UPLOAD_MAX_BYTES → 413 (raw, multipart, gzip; and at once for a declared length)', async () => {
      expectError(
        await raw(scan, '', PCAP_TYPE, small.url),
        413,
        new RegExp(`${SMALL_CAP}-byte limit \\(UPLOAD_MAX_BYTES\\)`),
      );
      expectError(
        await multipart(form([['file', scan, 'big.pcap']]), '', small.url),
        413,
        /^big\.pcap: capture larger/,
      );
      // gzip makes it smaller than the cap on the wire; the cap is on the capture itself.
      expectError(await raw(gzipSync(scan), '', 'application/gzip', small.url), 413, /UPLOAD_MAX_BYTES/);
      expect(readdirSync(join(root, 'small', 'captures'))).toEqual([]); // made by the ingest, then emptied
    });

    it('answers 413 and 415 before the body ends (the client is still sending)', async () => {
      // A body that never ends: the answer can only come from refusing early.
      const early = (base: string, head: Buffer, headers: Record<string, string>) =>
        new Promise<{ status: number; body: Json }>((resolve, reject) => {
          const u = new URL(`${base}/captures`);
          const req = httpRequest({
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: 'POST',
            headers: { ...KEY, ...headers },
          });
          req.on('response', (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json });
            });
          });
          req.on('error', reject);
          req.write(head);
          const more = setInterval(() => req.write(Buffer.alloc(16 * 1024)), 20);
          req.on('close', () => clearInterval(more));
        });
      expectError(await early(small.url, scan, { 'content-type': PCAP_TYPE }), 413, /UPLOAD_MAX_BYTES/);
      expectError(
        await early(api.url, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), { 'content-type': PCAP_TYPE }),
        415,
        /not a pcap or pcapng magic number/,
      );
      const boundary = 'nwboundary';
      const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.pcap"\r\nContent-Type: application/octet-stream\r\n\r\n`;
      expectError(
        await early(small.url, Buffer.concat([Buffer.from(partHead), scan]), {
          'content-type': `multipart/form-data; boundary=${boundary}`,
        }),
        413,
        /UPLOAD_MAX_BYTES/,
      );
      // A declared length beyond the cap is refused before any of the body is sent.
      expectError(
        await early(small.url, Buffer.alloc(0), {
          'content-type': PCAP_TYPE,
          'content-length': String(10 * 1024 ** 3),
        }),
        413,
        /declares 10737418240 bytes/,
      );
    });

    it('hangs up on a refused upload that keeps sending, a few seconds after the answer', async () => {
      const u = new URL(`${small.url}/captures`);
      const req = httpRequest({
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { ...KEY, 'content-type': PCAP_TYPE },
      });
      req.on('error', () => undefined); // the reset is what we wait for
      const answered = new Promise<number>((resolve) =>
        req.on('response', (res) => (res.resume(), resolve(res.statusCode!))),
      );
      req.write(scan);
      const more = setInterval(() => req.write(Buffer.alloc(16 * 1024)), 10);
      const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
      expect(await answered).toBe(413);
      const at = Date.now();
      await closed;
      clearInterval(more);
      const waited = Date.now() - at;
      expect(waited).toBeGreaterThan(2000); // it kept reading (and discarding) for a while…
      expect(waited).toBeLessThan(6000); // …then closed the connection
    });

    it('a client that hangs up mid-upload leaves no files and no row', async () => {
      for (const type of [PCAP_TYPE, 'multipart/form-data; boundary=nwb']) {
        const u = new URL(`${api.url}/captures?force=true`);
        const req = httpRequest({
          host: u.hostname,
          port: u.port,
          path: `${u.pathname}${u.search}`,
          method: 'POST',
          headers: { ...KEY, 'content-type': type },
        });
        req.on('error', () => undefined);
        if (type !== PCAP_TYPE) {
          req.write('--nwb\r\nContent-Disposition: form-data; name="file"; filename="gone.pcap"\r\n\r\n');
        }
        req.write(scan.subarray(0, 100_000)); // more than one 64 KiB chunk file
        await new Promise((r) => setTimeout(r, 300));
        const dirs = readdirSync(capturesDir()).length;
        const rows = (await db.dataSource.query('SELECT count(*)::int AS n FROM captures')) as Array<{ n: number }>;
        expect(dirs).toBe(rows[0].n + 1); // the upload in flight has its directory
        req.destroy();
      }
      const deadline = Date.now() + 3000;
      for (;;) {
        try {
          await expectDiskMatchesRows();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });

    it('path tricks in the file name: only the base name is kept, nothing is written outside the data directory', async () => {
      const tricks: Array<[string, string]> = [
        ['../../../../etc/passwd', 'passwd'],
        ['C:\\Windows\\System32\\evil.pcap', 'evil.pcap'],
        ['..\\..\\x.pcap', 'x.pcap'],
        ['/tmp/abs.pcap', 'abs.pcap'],
        ['<img src=x onerror=alert(1)>.pcap', '<img src=x onerror=alert(1)>.pcap'],
        ['a'.repeat(300), 'a'.repeat(200)],
      ];
      for (const [given, stored] of tricks) {
        const r = await multipart(form([['file', scan, given]]), '?force=true');
        expect([given, r.status, r.body.message]).toEqual([given, 202, undefined]);
        expect(r.body.name).toBe(stored);
        expect(r.res.headers.get('content-type')).toMatch(/^application\/json/);
      }
      for (const [given, stored] of [
        ['../../../root.pcap', 'root.pcap'],
        // (U+0000 is refused in any query value, on every route: test/api-input-ranges.e2e-spec.ts)
        ['bell\u0007\u001b[31mred.pcap\r\n', 'bell[31mred.pcap'],
      ]) {
        const r = await raw(scan, `?force=true&name=${encodeURIComponent(given)}`);
        expect(r.body.name).toBe(stored);
      }
      // Control characters in a part header are refused by the form parser itself.
      expectError(
        await multipart(form([['file', scan, 'bell\u0007.pcap']]), '?force=true'),
        400,
        /Malformed part header/,
      );
      // Only the data directory (and the small API's) exist beside it, and only chunk files inside.
      expect(readdirSync(root).sort()).toEqual(['data', 'small']);
      const files: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else files.push(relative(dataDir, join(d, e.name)));
        }
      };
      walk(dataDir);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(f).toMatch(/^captures\/[0-9a-f-]{36}\/\d{6}\.pcap$/);
    });

    it('malformed forms → 400: no file field, two files, an unexpected file field, no boundary, a cut-off body', async () => {
      expectError(await multipart(form([['note', 'hello']])), 400, /no file in the form/);
      expectError(
        await multipart(
          form([
            ['file', scan, 'a.pcap'],
            ['file', scan, 'b.pcap'],
          ]),
          '?force=true',
        ),
        400,
        /more than one file/,
      );
      expectError(await multipart(form([['upload', scan, 'a.pcap']])), 400, /unexpected file field "upload"/);
      expectError(
        await multipart(
          form([
            ['file', scan, 'a.pcap'],
            ['extra', scan, 'c.pcap'],
          ]),
          '?force=true',
        ),
        400,
        /unexpected file field "extra"/,
      );
      expectError(await raw(scan, '', 'multipart/form-data'), 400, /malformed multipart/);
      const boundary = 'nwboundary';
      const cut = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.pcap"\r\n\r\n`),
        scan.subarray(0, 5000),
      ]);
      expectError(
        await raw(cut, '', `multipart/form-data; boundary=${boundary}`),
        400,
        /malformed multipart|Unexpected end of form/,
      );
    });

    it('unknown detector or bad options → 400 before the body is read', async () => {
      expectError(await raw(scan, '?detectors=port-scan,nope'), 400, /unknown detector "nope" \(known: .*port-scan/);
      expectError(await raw(scan, '?detectors=,'), 400, /comma-separated/);
      expectError(await raw(scan, '?force=maybe'), 400, /force must be true or false/);
      expectError(await raw(scan, '?force=true&force=false'), 400, /force must be given once/);
    });
  });

  it('DELETE removes the rows (chunks and findings cascade), the files and the waiting job; 204', async () => {
    const id = first.id!;
    expect(await queue.getJob(analysisJobId(id, 0))).toBeDefined();
    const r = await call(api.url, `/captures/${id}`, { method: 'DELETE' });
    expect(r.status).toBe(204);
    expect(r.body).toEqual({});
    for (const table of ['captures', 'capture_chunks', 'findings']) {
      const col = table === 'captures' ? 'id' : '"captureId"';
      const rows = (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [
        id,
      ])) as Array<{
        n: number;
      }>;
      expect([table, rows[0].n]).toEqual([table, 0]);
    }
    expect(existsSync(join(capturesDir(), id))).toBe(false);
    expect(await queue.getJob(analysisJobId(id, 0))).toBeUndefined();
    expectError(await call(api.url, `/captures/${id}`), 404, /no capture/);
    expectError(await call(api.url, `/captures/${id}`, { method: 'DELETE' }), 404, /no capture/);
    await expectDiskMatchesRows();
  });

  it('receives a ~200 MB capture with the API peak RSS under 200 MB (streamed, never buffered)', async () => {
    // Its own API process (default 16 MiB chunks), so its peak is this upload's.
    const big = join(tmpdir(), `nw-big-${process.pid}-${Date.now()}.pcap`);
    const bigData = join(root, 'big');
    const records = scan.subarray(24);
    const copies = Math.ceil((200 * 1024 * 1024) / records.length);
    const out = createWriteStream(big);
    out.write(scan.subarray(0, 24));
    for (let i = 0; i < copies; i++)
      if (!out.write(records)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const size = statSync(big).size;
    const bigApi = await startApi(serviceEnv({ databaseUrl: db.url, redisPrefix: prefix, dataDir: bigData }));
    try {
      const hwm = () => {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${bigApi.proc.pid}/status`, 'utf8'));
        return Number(m![1]) * 1024;
      };
      const before = hwm();
      // Multipart, streamed from the file: the preamble, the file, the closing boundary.
      const boundary = 'nwbigboundary';
      async function* body() {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pcap"\r\n\r\n`);
        yield* createReadStream(big, { highWaterMark: 1024 * 1024 });
        yield Buffer.from(`\r\n--${boundary}--\r\n`);
      }
      const r = await call(bigApi.url, '/captures', {
        method: 'POST',
        body: Readable.toWeb(Readable.from(body())) as ReadableStream,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        duplex: 'half',
      } as RequestInit);
      expect(r.status).toBe(202);
      expect(r.body.sizeBytes).toBe(size);
      const rows = (await db.dataSource.query(
        'SELECT count(*)::int AS n, sum("fileBytes")::bigint AS b FROM capture_chunks WHERE "captureId" = $1',
        [r.body.id],
      )) as Array<{ n: number; b: string }>;
      expect((r.body.progress as { chunksTotal: number }).chunksTotal).toBe(rows[0].n);
      expect(rows[0].n).toBeGreaterThan(10);
      const after = hwm();
      console.log(
        `API VmHWM before ${(before / 2 ** 20).toFixed(1)} MiB, after a ${(size / 2 ** 20).toFixed(0)} MiB upload ${(after / 2 ** 20).toFixed(1)} MiB`,
      );
      expect(after).toBeLessThan(200 * 1024 * 1024);
      expect(after - before).toBeLessThan(100 * 1024 * 1024);
      expect((await call(bigApi.url, `/captures/${r.body.id}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      await bigApi.stop();
      rmSync(big, { force: true });
      rmSync(bigData, { recursive: true, force: true });
    }
  });

  it('answered every bad request with a 4xx: nothing reached the 500 handler', () => {
    for (const p of [api, small]) expect(p.output()).not.toMatch(/ERROR|ExceptionsHandler|Unhandled/);
  });
});
