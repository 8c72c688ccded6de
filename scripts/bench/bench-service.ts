import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { openDataSource } from '../../src/database/data-source';
import {
  TEST_API_KEY,
  serviceEnv,
  startApi,
  startWorker,
  type ServiceProcess,
} from '../../test/support/service-processes';

/**
 * The service end to end: the API process receives a capture over HTTP (multipart through multer,
 * or a raw body), workers analyse its chunks, and we time upload → done. Peak RSS of each process
 * is VmHWM from /proc (the kernel's high-water mark), read just before it stops.
 */
export interface ServiceRun {
  how: 'multipart' | 'raw';
  workers: number;
  bytes: number;
  packets: number;
  chunks: number;
  uploadSeconds: number;
  totalSeconds: number;
  apiPeakRssMb: number;
  workerPeakRssMb: number[];
  findings: number;
}

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A multipart/form-data body streamed from disk: the file is never held in memory here either. */
async function* multipartBody(file: string, boundary: string): AsyncGenerator<Buffer> {
  yield Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(file)}"\r\n` +
      'Content-Type: application/vnd.tcpdump.pcap\r\n\r\n',
  );
  for await (const piece of createReadStream(file, { highWaterMark: 1 << 20 })) yield piece as Buffer;
  yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

function toWebStream(gen: AsyncGenerator<Buffer>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(ctrl) {
      const r = await gen.next();
      if (r.done) ctrl.close();
      else ctrl.enqueue(new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length));
    },
  });
}

async function upload(url: string, file: string, how: 'multipart' | 'raw'): Promise<{ id: string }> {
  const boundary = `nwbench${randomBytes(8).toString('hex')}`;
  const body =
    how === 'multipart'
      ? toWebStream(multipartBody(file, boundary))
      : toWebStream(
          (async function* () {
            for await (const piece of createReadStream(file, { highWaterMark: 1 << 20 })) yield piece as Buffer;
          })(),
        );
  const res = await fetch(`${url}/captures?force=true&name=${encodeURIComponent(basename(file))}`, {
    method: 'POST',
    headers: {
      'x-api-key': TEST_API_KEY,
      'content-type':
        how === 'multipart' ? `multipart/form-data; boundary=${boundary}` : 'application/vnd.tcpdump.pcap',
    },
    body,
    duplex: 'half',
  } as RequestInit);
  const text = await res.text();
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as { id: string };
}

interface CaptureView {
  status: string;
  reason: string | null;
  progress: { chunksDone: number; chunksTotal: number | null; packets: number; bytes: number };
  findings: { total: number };
}

async function waitDone(url: string, id: string, timeoutMs: number): Promise<CaptureView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/captures/${id}`, { headers: { 'x-api-key': TEST_API_KEY } });
    const v = (await r.json()) as CaptureView;
    if (v.status === 'done') return v;
    if (v.status === 'failed') throw new Error(`capture failed: ${v.reason}`);
    if (Date.now() > until) throw new Error(`capture not done after ${timeoutMs} ms: ${JSON.stringify(v.progress)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

export async function benchService(file: string, workers = 2, hows: Array<'multipart' | 'raw'> = ['multipart', 'raw']) {
  const dbName = `nw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  const ds = await openDataSource(u.toString(), true);
  await ds.destroy();
  const dataDir = mkdtempSync(join(tmpdir(), 'nw-bench-service-'));
  const env = serviceEnv({
    databaseUrl: u.toString(),
    redisPrefix: `nwbench-${randomBytes(4).toString('hex')}`,
    dataDir,
    UPLOAD_MAX_BYTES: String(4 * 1024 ** 3),
    THROTTLE_LIMIT: '100000',
  });
  const runs: ServiceRun[] = [];
  try {
    for (const how of hows) {
      const api = await startApi(env);
      const ws: ServiceProcess[] = [];
      for (let i = 0; i < workers; i++) ws.push(startWorker(env));
      try {
        const t0 = process.hrtime.bigint();
        const { id } = await upload(api.url, file, how);
        const t1 = process.hrtime.bigint();
        const v = await waitDone(api.url, id, 30 * 60_000);
        const t2 = process.hrtime.bigint();
        runs.push({
          how,
          workers,
          bytes: statSync(file).size,
          packets: v.progress.packets,
          chunks: v.progress.chunksTotal ?? 0,
          uploadSeconds: Number(t1 - t0) / 1e9,
          totalSeconds: Number(t2 - t0) / 1e9,
          apiPeakRssMb: peakRssMb(api.proc.pid),
          workerPeakRssMb: ws.map((w) => peakRssMb(w.proc.pid)),
          findings: v.findings.total,
        });
        // Free the disk for the next run (the chunks of 1 GB are 1 GB).
        await fetch(`${api.url}/captures/${id}`, { method: 'DELETE', headers: { 'x-api-key': TEST_API_KEY } });
      } finally {
        await Promise.all([api.stop(), ...ws.map((w) => w.stop())]);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
  return runs;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/scripts/bench/bench-service.js FILE [workers]\n');
    process.exit(2);
  }
  benchService(file, Number(process.argv[3] ?? 2))
    .then((runs) => process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`bench-service: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
