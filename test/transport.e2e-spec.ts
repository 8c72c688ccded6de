import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { THROTTLED_MESSAGE } from '../src/auth/api-throttler.guard';
import { ROOT } from './support/paths';
import { serviceEnv, startApi, TEST_API_KEY, type ApiProcess } from './support/service-processes';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * The real built API process (npm run build first): start-up refusals as one clear line,
 * HTTPS with a certificate made here by openssl, the 308 redirect listener, helmet headers,
 * rate limits per key and per IP with Retry-After, and .env read from the working directory.
 */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, o: { method?: string; headers?: Record<string, string>; ca?: Buffer } = {}): Promise<Answer> {
  const u = new URL(url);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method: o.method ?? 'GET', headers: o.headers, ca: o.ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

/** Runs the API until it exits on its own (it must refuse to start); stdout, stderr, exit code. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      env: { PORT: '0', HOST: '127.0.0.1', ...env },
      cwd: mkdtempSync(join(tmpdir(), 'nw-api-cwd-')),
    });
    let stdout = '';
    let stderr = '';
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('API process: transport and start-up', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'nw-transport-'));
  const dataDir = join(dir, 'data');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  let env: Record<string, string>;
  const running: ApiProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    env = serviceEnv({ databaseUrl: db.url, redisPrefix: testRedisPrefix(), dataDir });
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);
  });
  afterAll(async () => {
    for (const p of running) await p.stop();
    await db?.drop();
  });

  it('production with the default SECRET_KEY exits 1 with one clear line, no stack trace, no secret', async () => {
    const r = await runToExit({ ...env, NODE_ENV: 'production', SECRET_KEY: '' });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'netwarden: configuration: SECRET_KEY is still the default: set a random value of at least 32 characters in production\n',
    });
    const short = await runToExit({ ...env, NODE_ENV: 'production', SECRET_KEY: 'too-short-S3CR3T' });
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('netwarden: configuration: SECRET_KEY must be at least 32 characters in production\n');
  });

  it('HTTPS with a missing or wrong certificate/key file names the variable in one line', async () => {
    const https = { ...env, ENABLE_HTTPS: 'true', SSL_CERT_PATH: certPath, SSL_KEY_PATH: keyPath };
    const missing = join(dir, 'nope.pem');
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'not a pem file\n');
    const cases: Array<[Record<string, string>, string]> = [
      [{ SSL_CERT_PATH: missing }, `SSL_CERT_PATH does not exist: ${missing}`],
      [{ SSL_KEY_PATH: missing }, `SSL_KEY_PATH does not exist: ${missing}`],
      [{ SSL_CERT_PATH: dir }, `SSL_CERT_PATH cannot be read (EISDIR): ${dir}`],
      [{ SSL_CERT_PATH: notPem }, `SSL_CERT_PATH is not a PEM certificate: ${notPem}`],
      [{ SSL_KEY_PATH: notPem }, `SSL_KEY_PATH is not a PEM private key matching SSL_CERT_PATH: ${notPem}`],
    ];
    for (const [extra, message] of cases) {
      const r = await runToExit({ ...https, ...extra });
      // The settings themselves were valid: the line saying which database and Redis comes first.
      expect(r).toEqual({
        code: 1,
        stdout: expect.stringMatching(/^netwarden api: database nw_test_\w+ on 127\.0\.0\.1:5432, redis [^\n]*\n$/),
        stderr: `netwarden: configuration: ${message}\n`,
      });
    }
  });

  it('serves HTTPS with the configured certificate, HSTS, and 308-redirects plain HTTP to it', async () => {
    const redirectPort = await freePort();
    const api = await startApi({
      ...env,
      ENABLE_HTTPS: 'true',
      SSL_CERT_PATH: certPath,
      SSL_KEY_PATH: keyPath,
      HTTP_REDIRECT_PORT: String(redirectPort),
    });
    running.push(api);
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(certPath);
    const health = await get(`${api.url}/health`, { ca });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(health.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect((await get(`${api.url}/intel/feeds`, { ca, headers: { 'x-api-key': TEST_API_KEY } })).status).toBe(200);
    // Without our certificate as a trusted CA the client refuses: it really is the self-signed one.
    await expect(get(`${api.url}/health`)).rejects.toThrow(/self-signed|self signed/);

    const port = new URL(api.url).port;
    for (const method of ['GET', 'POST']) {
      const r = await get(`http://127.0.0.1:${redirectPort}/intel/feeds?x=1`, { method });
      expect([r.status, r.headers.location]).toEqual([308, `https://127.0.0.1:${port}/intel/feeds?x=1`]);
    }
    const odd = await get(`http://127.0.0.1:${redirectPort}/health`, { headers: { host: 'evil"<x>' } });
    expect(odd.headers.location).toBe(`https://127.0.0.1:${port}/health`);
  });

  it('helmet headers; rate limits per key and per IP with Retry-After, shared by API processes (limits from .env in the working directory)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nw-api-dotenv-'));
    writeFileSync(join(cwd, '.env'), 'THROTTLE_LIMIT=3\nTHROTTLE_TTL_MS=60000\n');
    // Its own Redis prefix: the counters are shared by every API process on the same prefix.
    // The limit must come from .env: drop the harness's generous THROTTLE_LIMIT (set variables win).
    const { THROTTLE_LIMIT: _unused, ...rest } = env;
    const limitedEnv = { ...rest, REDIS_PREFIX: testRedisPrefix() };
    const api = await startApi(limitedEnv, 30_000, { cwd });
    running.push(api);
    const h = await get(`${api.url}/health`);
    expect(h.status).toBe(200);
    expect(h.headers['content-security-policy']).toBe(
      "default-src 'self';base-uri 'self';font-src 'self' data:;form-action 'self';frame-ancestors 'none';" +
        "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';" +
        "style-src 'self' 'unsafe-inline';connect-src 'self'",
    );
    expect(h.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(h.headers['x-powered-by']).toBeUndefined();
    expect(h.headers['strict-transport-security']).toBeUndefined();

    const admin = { 'x-api-key': TEST_API_KEY };
    const created = await fetch(`${api.url}/auth/keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'second', role: 'read' }),
    });
    expect(created.status).toBe(201);
    const reader = { 'x-api-key': ((await created.json()) as { key: string }).key };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${api.url}/intel/feeds`, { headers: admin })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await get(`${api.url}/auth/keys`, { headers: admin });
    expect(limited.status).toBe(429);
    const retry = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
    expect(JSON.parse(limited.body)).toEqual({ statusCode: 429, message: THROTTLED_MESSAGE });
    // A second API process on the same Redis prefix enforces the same budget.
    const twin = await startApi(limitedEnv, 30_000, { cwd });
    running.push(twin);
    expect((await get(`${twin.url}/intel/feeds`, { headers: admin })).status).toBe(429);
    // Another key has its own budget.
    expect((await get(`${api.url}/intel/feeds`, { headers: reader })).status).toBe(200);
    // Without credentials the budget is the client address: guessing keys is limited too.
    const guesses = [];
    for (let i = 0; i < 4; i++) {
      guesses.push((await get(`${api.url}/intel/feeds`, { headers: { 'x-api-key': `nwk_guess${i}` } })).status);
    }
    expect(guesses).toEqual([401, 401, 401, 429]);
    // Without TRUST_PROXY a client cannot pick a new bucket with X-Forwarded-For.
    const spoofed = await get(`${api.url}/intel/feeds`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(spoofed.status).toBe(429);
    // /health is never limited.
    for (let i = 0; i < 5; i++) expect((await get(`${api.url}/health`)).status).toBe(200);
  });

  it('TRUST_PROXY=loopback: the client address comes from X-Forwarded-For set by the proxy', async () => {
    const api = await startApi({
      ...env,
      REDIS_PREFIX: testRedisPrefix(),
      THROTTLE_LIMIT: '2',
      TRUST_PROXY: 'loopback',
    });
    running.push(api);
    const from = (ip: string) => get(`${api.url}/intel/feeds`, { headers: { 'x-forwarded-for': ip } });
    const a = [];
    for (let i = 0; i < 3; i++) a.push((await from('203.0.113.9')).status);
    expect(a).toEqual([401, 401, 429]);
    expect((await from('203.0.113.10')).status).toBe(401);
  });
});
