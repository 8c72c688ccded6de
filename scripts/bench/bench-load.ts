import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Client } from 'pg';
import { openDataSource } from '../../src/database/data-source';
import {
  TEST_API_KEY,
  serviceEnv,
  startApi,
  startWorker,
  type ServiceProcess,
} from '../../test/support/service-processes';
import { peakRssMb } from './bench-service';
import { openSseClients } from './sse-clients';

/**
 * The service under load, loopback only: one API and two worker processes on the real PostgreSQL
 * and Redis (a database and a key prefix of their own), 20 uploads of mixed sizes sent at once,
 * reads at a fixed 200 requests/s for BENCH_LOAD_SECONDS (60) with a read key (autocannon), and
 * 200 `GET /events` clients held open through it all. Reports latency (reads and uploads apart),
 * errors and non-2xx answers, the time until all 20 captures are done, every process's peak RSS
 * (VmHWM) and what the SSE clients received.
 *
 * The API's rate limiter stays on, with its limits raised through the environment
 * (THROTTLE_LIMIT / THROTTLE_UPLOAD_LIMIT 100 000 per minute, as the test suites set them): the
 * bench measures serving, not the 429 path.
 */
const root = resolve(__dirname, '..', '..', '..');
const shared = resolve(root, '..', 'shared', 'pcaps');
const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const READ_RATE = 200;
/** Enough that the asked rate is still offered when answers slow down (10 would cap it at 10 / latency). */
const READ_CONNECTIONS = 40;
const SSE_CLIENTS = 200;
/** Reads never wait longer than this for the captures after the timed phase. */
const DONE_TIMEOUT_MS = 10 * 60_000;

/** 8 small (< 10 kB), 8 medium (15–200 kB), 4 large (1.3–3 MB) shared captures; duplicates are forced. */
const UPLOADS = [
  'attacks/ftp-login.pcap',
  'attacks/http-basic-and-form.pcap',
  'attacks/scan-udp.pcap',
  'attacks/clean-web.pcap',
  'attacks/arp-spoof-a.pcap',
  'public/telnet__telnet-01__telnet.pcap',
  'public/pop3-auth-01__input.pcap',
  'public/ja4-tls__input.pcap',
  'attacks/tls-cert-change-a.pcap',
  'attacks/scan-connect.pcap',
  'attacks/scan-xmas.pcap',
  'public/imap-detection__input.pcap',
  'public/output-multi-eve__input.pcap',
  'public/ipv6-evasion__ipv6-rsmurf__rsmurf6.pcap',
  'attacks/scan-syn.pcap',
  'public/pop3__input.pcap',
  'attacks/syn-flood.pcap',
  'public/tls__tls-subjectaltname__input.pcap',
  'public/dhcp-request-flood__test.pcap',
  'attacks/syn-flood.pcap',
];
/** Analysed before the timed phase, so the reads find a capture with findings and a summary. */
const SEED = 'public/tls__tls-cert-issuer__tls.pcap';

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

export interface LoadBench {
  seconds: number;
  reads: LatencySummary & { rate: number };
  uploads: LatencySummary & { bytes: number };
  /** From the first upload sent to the last capture.done (seconds); null when not all finished. */
  allDoneSeconds: number | null;
  capturesFailed: number;
  rssMb: { api: number; workers: number[] };
  /** CPU seconds (user + system) the API used from the first upload to the end of the reads. */
  apiCpuSeconds: number;
  sse: {
    clients: number;
    connected: number;
    dropped: number;
    doneSeen: { min: number; max: number };
    events: { min: number; max: number };
  };
}

/** utime + stime of a process from /proc/PID/stat, in seconds (clock ticks are 100 per second on Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function uploadOne(
  url: string,
  file: string,
): Promise<{ ms: number; status: number | null; id: string | null; error: string | null }> {
  const body = readFileSync(file);
  const t0 = performance.now();
  try {
    const r = await fetch(`${url}/captures?force=true&name=${encodeURIComponent(basename(file))}`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/vnd.tcpdump.pcap' },
      body,
    });
    const text = await r.text();
    const ms = performance.now() - t0;
    const id = r.status === 202 ? (JSON.parse(text) as { id: string }).id : null;
    return { ms, status: r.status, id, error: r.status === 202 ? null : text.slice(0, 200) };
  } catch (err) {
    return { ms: performance.now() - t0, status: null, id: null, error: (err as Error).message };
  }
}

async function waitDone(url: string, id: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await json<{ status: string }>(
      await fetch(`${url}/captures/${id}`, { headers: { 'x-api-key': TEST_API_KEY } }),
    );
    if (v.status === 'done' || v.status === 'failed') return v.status;
    if (Date.now() > until) throw new Error(`capture ${id} not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readRequests(captureId: string): autocannon.Request[] {
  return [
    `/alerts?capture=${captureId}&limit=100`,
    `/captures/${captureId}`,
    `/network_stats?capture=${captureId}`,
    `/data?capture=${captureId}&kind=flows&limit=50`,
    '/alerts?limit=50&sort=-severity',
    '/captures?limit=20',
    `/data?capture=${captureId}&kind=tls`,
  ].map((path) => ({ method: 'GET', path }));
}

export async function benchLoad(seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60)): Promise<LoadBench> {
  const files = UPLOADS.map((f) => join(shared, f));
  const missing = [...files, join(shared, SEED)].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`load bench: missing shared captures: ${missing.join(', ')}`);

  const dbName = `nw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'nw-bench-load-'));
  const procs: ServiceProcess[] = [];
  let sse: ReturnType<typeof openSseClients> | null = null;
  try {
    await (await openDataSource(dbUrl.toString(), true)).destroy();
    const env = serviceEnv({
      databaseUrl: dbUrl.toString(),
      redisPrefix: `nwbench-${randomBytes(4).toString('hex')}`,
      dataDir,
      THROTTLE_LIMIT: '100000',
      THROTTLE_UPLOAD_LIMIT: '100000',
    });
    const api = await startApi(env);
    procs.push(api);
    const workers = [startWorker(env), startWorker(env)];
    procs.push(...workers);
    const adminHeaders = { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' };
    const { key: readKey } = await json<{ key: string }>(
      await fetch(`${api.url}/auth/keys`, {
        method: 'POST',
        headers: adminHeaders,
        body: JSON.stringify({ name: 'bench-read', role: 'read' }),
      }),
    );
    const seed = await uploadOne(api.url, join(shared, SEED));
    if (!seed.id) throw new Error(`seed upload answered ${seed.status}: ${seed.error}`);
    await waitDone(api.url, seed.id, DONE_TIMEOUT_MS);

    sse = openSseClients(api.url, readKey, SSE_CLIENTS);
    await sse.ready;
    const ids = new Set<string>();
    const doneAt = new Map<string, number>();
    sse.onDone((id) => doneAt.set(id, performance.now()));

    process.stderr.write(
      `bench: load: ${SSE_CLIENTS} SSE clients connected; 20 uploads + ${READ_RATE} reads/s for ${seconds} s...\n`,
    );
    const t0 = performance.now();
    const cpu0 = cpuSeconds(api.proc.pid);
    const reads = autocannon({
      url: api.url,
      connections: READ_CONNECTIONS,
      overallRate: READ_RATE,
      duration: seconds,
      headers: { 'x-api-key': readKey },
      requests: readRequests(seed.id),
    });
    const uploads = await Promise.all(files.map((f) => uploadOne(api.url, f)));
    for (const u of uploads) if (u.id) ids.add(u.id);
    const readResult = await reads;
    const apiCpuSeconds = cpuSeconds(api.proc.pid) - cpu0;

    // Every accepted capture to the end (bounded), then what each client saw of them.
    const statuses = await Promise.all([...ids].map((id) => waitDone(api.url, id, DONE_TIMEOUT_MS)));
    await new Promise((r) => setTimeout(r, 1000)); // the last capture.done on its way to every client
    const lastDone = Math.max(...[...ids].map((id) => doneAt.get(id) ?? NaN));
    const rssMb = { api: peakRssMb(api.proc.pid), workers: workers.map((w) => peakRssMb(w.proc.pid)) };

    const uploadMs = uploads.map((u) => u.ms).sort((a, b) => a - b);
    const clients = sse.clients;
    const doneSeen = clients.map((c) => [...ids].filter((id) => c.done.has(id)).length);
    const events = clients.map((c) => [...c.events.values()].reduce((a, b) => a + b, 0));
    return {
      seconds,
      reads: {
        rate: READ_RATE,
        count: readResult.requests.total,
        p50: readResult.latency.p50,
        p99: readResult.latency.p99,
        max: readResult.latency.max,
        errors: readResult.errors,
        non2xx: readResult.non2xx,
      },
      uploads: {
        count: uploads.length,
        bytes: files.reduce((n, f) => n + readFileSync(f).length, 0),
        p50: percentile(uploadMs, 50),
        p99: percentile(uploadMs, 99),
        max: uploadMs[uploadMs.length - 1],
        errors: uploads.filter((u) => u.status === null).length,
        non2xx: uploads.filter((u) => u.status !== null && u.status !== 202).length,
      },
      allDoneSeconds: ids.size === files.length && Number.isFinite(lastDone) ? (lastDone - t0) / 1000 : null,
      capturesFailed: statuses.filter((s) => s !== 'done').length,
      rssMb,
      apiCpuSeconds,
      sse: {
        clients: clients.length,
        connected: clients.filter((c) => c.connected).length,
        dropped: clients.filter((c) => c.dropped).length,
        doneSeen: { min: Math.min(...doneSeen), max: Math.max(...doneSeen) },
        events: { min: Math.min(...events), max: Math.max(...events) },
      },
    };
  } finally {
    sse?.close();
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** The bench's table: one row per kind of request, then the run's totals. */
export function loadTable(r: LoadBench): string {
  const header = ['what', 'requests', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx'];
  const row = (name: string, s: LatencySummary, perSecond: string) => [
    name,
    String(s.count),
    perSecond,
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    s.max.toFixed(1),
    String(s.errors),
    String(s.non2xx),
  ];
  const rows = [
    row(
      `reads, asked ${r.reads.rate}/s for ${r.seconds} s (autocannon, read key)`,
      r.reads,
      (r.reads.count / r.seconds).toFixed(0),
    ),
    row(`uploads, 20 at once (${(r.uploads.bytes / 1e6).toFixed(1)} MB in all)`, r.uploads, '-'),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [
    `load: 1 API + 2 workers, ${r.sse.clients} SSE clients, ${r.seconds} s`,
    fmt(header),
    ...rows.map(fmt),
    `all 20 captures done ${r.allDoneSeconds === null ? 'NOT all' : `${r.allDoneSeconds.toFixed(1)} s`} after the uploads began; ${r.capturesFailed} failed`,
    `peak RSS: API ${r.rssMb.api.toFixed(0)} MB, workers ${r.rssMb.workers.map((m) => m.toFixed(0)).join(' / ')} MB; ` +
      `API CPU ${r.apiCpuSeconds.toFixed(1)} s in the ${r.seconds} s (${((r.apiCpuSeconds * 1000) / r.reads.count).toFixed(1)} ms per read, uploads and SSE included)`,
    `SSE: ${r.sse.connected}/${r.sse.clients} connected, ${r.sse.dropped} dropped, capture.done seen per client ` +
      `${r.sse.doneSeen.min}–${r.sse.doneSeen.max} of 20, events per client ${r.sse.events.min}–${r.sse.events.max}`,
  ];
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  benchLoad()
    .then((r) => process.stdout.write(loadTable(r)))
    .catch((err: unknown) => {
      process.stderr.write(`bench-load: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
