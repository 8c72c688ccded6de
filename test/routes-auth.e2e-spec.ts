import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { UNAUTHORIZED_MESSAGE } from '../src/auth/access.guard';
import { controllerRoutes } from '../src/auth/controller-routes';
import { API_ROLES, roleReaches, rolesReaching, type ApiRole } from '../src/auth/roles';
import { ROUTE_ACCESS } from '../src/auth/route-access';
import { loadSettings } from '../src/config/settings';
import { configureApp } from '../src/http/configure-app';
import { FIXTURES } from './support/paths';
import { seedCapture } from './support/seed-capture';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * Walks every route the HTTP server actually serves (the Express router stack, which holds Nest
 * controllers of every module and anything registered on Express directly) and checks the
 * access rules on each, so a route added later by any module cannot slip through:
 * - every route the server serves is a Nest controller route (a raw Express route would skip the
 *   global guard), and vice versa; and the access table (src/auth/route-access.ts) declares
 *   exactly those routes;
 * - without credentials: 401 with the one body, except the routes the table makes public — which
 *   must be exactly PUBLIC_ROUTES;
 * - with a read, an analyst and an admin key (and a read key's JWT): every route answers 403
 *   exactly when the table puts it above the key's role — the whole matrix, compared at once;
 *   deletes and the writes the issue names are admin-only, raw packets and uploads analyst;
 * - on a real stored capture: raw packets (capture and evidence pcaps) and uploads are refused to
 *   a read key and its JWT, and served to analyst and admin keys.
 */
const PUBLIC_ROUTES = ['GET /health'];
/** Served outside Nest's router (Swagger UI if the docs are made public there): answered without a key by design. */
const NON_NEST_PUBLIC: RegExp[] = [/^GET \/docs(\b|\/|-json|-yaml)/];
const ADMIN_KEY = 'routes-e2e-admin-key-0123456789abcdef';
const UUID = '7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a59';
const ADMIN_ONLY_WRITES = /^(?!GET )\S+ \/(block_ip|channels|notification|intel\/feeds|auth\/keys|live)/;
/** Raw packets (cleartext credentials) and uploads: not for read keys (issue 13). */
const ANALYST_ROUTES = ['GET /alerts/:id/pcap', 'GET /captures/:id/pcap', 'POST /captures'];

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Every route the HTTP server serves, from the Express router itself. */
function servedRoutes(app: NestExpressApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  const out: string[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    for (const path of [layer.route.path].flat()) {
      for (const [m, on] of Object.entries(layer.route.methods)) {
        if (on) out.push(`${m === '_all' ? 'ALL' : m.toUpperCase()} ${path}`);
      }
    }
  }
  return out;
}

/** A concrete URL for a route pattern: every parameter a valid-looking uuid, wildcards a plain segment. */
function concrete(path: string): string {
  return path
    .replace(/[{}]/g, '')
    .replace(/:[A-Za-z0-9_]+/g, UUID)
    .replace(/\*[A-Za-z0-9_]*/g, 'x');
}

describe('every route needs credentials and the role the access table names (walks the router)', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let base: string;
  let dataDir: string;
  /** One key per role (admin: env API_KEY), and a JWT of the read key. */
  const keys = {} as Record<ApiRole, string>;
  let readJwt: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-routes-'));
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_PREFIX: testRedisPrefix(),
      NETWARDEN_DATA_DIR: dataDir,
      API_KEY: ADMIN_KEY,
      SECRET_KEY: 'routes-e2e-secret-key-0123456789abcdef',
      THROTTLE_LIMIT: '1000000',
      THROTTLE_UPLOAD_LIMIT: '1000000',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const mod = await Test.createTestingModule({ imports: [AppModule, DiscoveryModule] }).compile();
    app = mod.createNestApplication<NestExpressApplication>({ logger: false });
    configureApp(app, loadSettings());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    keys.admin = ADMIN_KEY;
    for (const role of ['read', 'analyst'] as const) {
      const r = await fetch(`${base}/auth/keys`, {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `routes ${role}`, role }),
      });
      expect(r.status).toBe(201);
      keys[role] = ((await r.json()) as { key: string }).key;
    }
    const t = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'x-api-key': keys.read } });
    readJwt = ((await t.json()) as { accessToken: string }).accessToken;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const routes = () => controllerRoutes(app.get(DiscoveryService), app.get(MetadataScanner));

  /** The answer's status; the body is read only when asked for (GET /events never ends: it is cancelled). */
  const send = async (route: string, headers: Record<string, string> = {}) => {
    const [method, path] = route.split(' ');
    const res = await fetch(`${base}${concrete(path)}`, {
      method: method === 'ALL' ? 'GET' : method,
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    const isStream = res.headers.get('content-type')?.startsWith('text/event-stream') === true;
    const text = isStream ? (await res.body?.cancel(), '') : await res.text();
    return { status: res.status, text };
  };

  it('the server serves exactly the Nest controller routes, and the access table declares exactly those', () => {
    const nest = routes();
    const served = servedRoutes(app).filter((r) => !NON_NEST_PUBLIC.some((re) => re.test(r)));
    expect(served.length).toBeGreaterThan(5);
    expect([...served].sort()).toEqual([...nest].sort());
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual([...nest].sort());
  });

  it('without credentials every route answers 401, except exactly the public ones', async () => {
    const all = routes();
    const closed = all.filter((r) => ROUTE_ACCESS[r] !== 'public');
    expect(all.filter((r) => ROUTE_ACCESS[r] === 'public')).toEqual(PUBLIC_ROUTES);
    const answers: string[] = [];
    for (const r of closed) {
      const res = await send(r);
      answers.push(`${r} → ${res.status} ${res.text}`);
    }
    const expected = JSON.stringify({ statusCode: 401, message: UNAUTHORIZED_MESSAGE });
    expect(answers).toEqual(closed.map((r) => `${r} → 401 ${expected}`));
    // And a wrong key is no better than none.
    for (const r of closed) {
      expect([r, (await send(r, { 'x-api-key': 'nwk_wrong' })).status]).toEqual([r, 401]);
    }
    for (const route of PUBLIC_ROUTES) expect([route, (await send(route)).status]).toEqual([route, 200]);
  });

  it('the whole role matrix: each key gets 403 exactly on the routes above its role (a JWT as its key)', async () => {
    const closed = routes().filter((r) => ROUTE_ACCESS[r] !== 'public');
    const callers: Array<[string, ApiRole, Record<string, string>]> = [
      ...API_ROLES.map((role): [string, ApiRole, Record<string, string>] => [role, role, { 'x-api-key': keys[role] }]),
      ['read JWT', 'read', { authorization: `Bearer ${readJwt}` }],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [who, role, headers] of callers) {
      for (const r of closed) {
        const need = ROUTE_ACCESS[r] as ApiRole;
        const res = await send(r, headers);
        // An allowed call may still be a 400/404/409 on these made-up ids and empty bodies.
        const answer =
          res.status === 403
            ? `403 ${(JSON.parse(res.text) as { message: string }).message}`
            : res.status === 401
              ? '401'
              : 'allowed';
        got.push(`${who} ${r} → ${answer}`);
        const refused = `403 this route needs the ${rolesReaching(need)} role; this key has ${role}`;
        // Only a key buys a token: a JWT renewing itself would outlive its expiry (auth.controller).
        const tokenByJwt = who.endsWith('JWT') && r === 'POST /auth/token';
        want.push(`${who} ${r} → ${tokenByJwt ? '401' : roleReaches(role, need) ? 'allowed' : refused}`);
      }
    }
    expect(got).toEqual(want);
  });

  it('the table: raw packets and uploads need analyst; deletes and the named writes admin; reading needs a key', () => {
    const all = routes();
    expect(all.filter((r) => ROUTE_ACCESS[r] === 'analyst').sort()).toEqual([...ANALYST_ROUTES].sort());
    const mustBeAdmin = all.filter((r) => r.startsWith('DELETE ') || ADMIN_ONLY_WRITES.test(r));
    expect(mustBeAdmin.filter((r) => ROUTE_ACCESS[r] !== 'admin')).toEqual([]);
    expect(all.filter((r) => r.startsWith('GET ') && /pcap/.test(r) && ROUTE_ACCESS[r] !== 'analyst')).toEqual([]);
  });

  it('on a stored capture: read keys and their JWTs get no packets and cannot upload; analyst and admin can', async () => {
    const file = join(FIXTURES, 'anomalies', 'input.pcap');
    const seeded = await seedCapture(db.dataSource, dataDir, file);
    const alerts = await fetch(`${base}/alerts?capture=${seeded.id}`, { headers: { 'x-api-key': keys.read } });
    expect(alerts.status).toBe(200);
    const finding = ((await alerts.json()) as { items: Array<{ id: string }> }).items[0];
    expect(finding).toBeDefined();
    const downloads = [`/captures/${seeded.id}/pcap`, `/alerts/${finding.id}/pcap`];
    const upload = (headers: Record<string, string>, name: string) => {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(file)]), name);
      return fetch(`${base}/captures?force=true`, { method: 'POST', headers, body: form });
    };
    const asked: Array<[string, Record<string, string>]> = [
      ['read', { 'x-api-key': keys.read }],
      ['read JWT', { authorization: `Bearer ${readJwt}` }],
      ['analyst', { 'x-api-key': keys.analyst }],
      ['admin', { 'x-api-key': keys.admin }],
    ];
    const got: string[] = [];
    for (const [who, headers] of asked) {
      for (const path of downloads) {
        const res = await fetch(`${base}${path}`, { headers });
        const bytes = Buffer.from(await res.arrayBuffer());
        // A pcap starts with its magic; a refusal is JSON.
        got.push(
          `${who} GET ${path.replace(seeded.id, ':capture').replace(finding.id, ':finding')} → ${res.status}${res.status === 200 ? ` ${bytes.readUInt32LE(0).toString(16)}` : ''}`,
        );
      }
      const up = await upload(headers, `${who.replace(' ', '-')}.pcap`);
      await up.arrayBuffer();
      got.push(`${who} POST /captures → ${up.status}`);
    }
    expect(got).toEqual([
      'read GET /captures/:capture/pcap → 403',
      'read GET /alerts/:finding/pcap → 403',
      'read POST /captures → 403',
      'read JWT GET /captures/:capture/pcap → 403',
      'read JWT GET /alerts/:finding/pcap → 403',
      'read JWT POST /captures → 403',
      'analyst GET /captures/:capture/pcap → 200 a1b2c3d4',
      'analyst GET /alerts/:finding/pcap → 200 a1b2c3d4',
      'analyst POST /captures → 202',
      'admin GET /captures/:capture/pcap → 200 a1b2c3d4',
      'admin GET /alerts/:finding/pcap → 200 a1b2c3d4',
      'admin POST /captures → 202',
    ]);
  });
});
