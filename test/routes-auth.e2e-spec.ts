import { METHODS } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { UNAUTHORIZED_MESSAGE } from '../src/auth/access.guard';
import type { ApiRole } from '../src/auth/api-key.entity';
import { IS_PUBLIC, ROLES } from '../src/auth/auth.decorators';
import { loadSettings } from '../src/config/settings';
import { configureApp } from '../src/http/configure-app';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * Walks every route the HTTP server actually serves (the Express router stack, which holds Nest
 * controllers of every module and anything registered on Express directly) and checks the
 * access rules on each, so a route added later by any module cannot slip through:
 * - without credentials: 401 with the one body, except the routes marked @Public() — which must
 *   be exactly PUBLIC_ROUTES;
 * - every route the server serves is a Nest controller route (a raw Express route would skip the
 *   global guard), and vice versa;
 * - with a read key: every route whose @Roles excludes read answers 403; DELETE routes and
 *   the writes the issue names (block_ip, channels, feeds, keys) must be among them.
 */
const PUBLIC_ROUTES = ['GET /health'];
/** Served outside Nest's router (Swagger UI if the docs are made public there): answered without a key by design. */
const NON_NEST_PUBLIC: RegExp[] = [/^GET \/docs(\b|\/|-json|-yaml)/];
const ADMIN_KEY = 'routes-e2e-admin-key-0123456789abcdef';
const UUID = '7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a59';
const ADMIN_ONLY_WRITES = /^(?!GET )\S+ \/(block_ip|channels|notification|intel\/feeds|auth\/keys)/;

interface NestRoute {
  route: string;
  public: boolean;
  roles: ApiRole[] | undefined;
}

function joinPath(...parts: string[]): string {
  const p = `/${parts
    .map((s) => s.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
  return p;
}

/** Every route Nest registered, with its access metadata, from the controllers' decorators. */
function nestRoutes(app: NestExpressApplication): NestRoute[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const out: NestRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const ctrl = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!ctrl) continue;
    const ctrlPaths = [Reflect.getMetadata(PATH_METADATA, ctrl) as string | string[]].flat();
    for (const name of scanner.getAllMethodNames(ctrl.prototype)) {
      const handler = (ctrl.prototype as Record<string, unknown>)[name] as object;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (methodPath === undefined) continue;
      const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const isPublic = (Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, ctrl)) === true;
      const roles = (Reflect.getMetadata(ROLES, handler) ?? Reflect.getMetadata(ROLES, ctrl)) as ApiRole[] | undefined;
      for (const cp of ctrlPaths) {
        for (const mp of [methodPath].flat()) {
          out.push({ route: `${verb === 'ALL' ? 'ALL' : verb} ${joinPath(cp ?? '', mp)}`, public: isPublic, roles });
        }
      }
    }
  }
  return out;
}

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Every route the HTTP server serves, from the Express router itself. */
function servedRoutes(app: NestExpressApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  const out: string[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    const on = Object.entries(layer.route.methods)
      .filter(([, yes]) => yes)
      .map(([m]) => m.toUpperCase());
    // Nest's @All() on Express 5 registers the route once per method Node knows.
    const methods = METHODS.every((m) => on.includes(m)) ? ['ALL'] : on.map((m) => (m === '_ALL' ? 'ALL' : m));
    for (const path of [layer.route.path].flat()) for (const m of methods) out.push(`${m} ${path}`);
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

describe('every route needs credentials (walks the router)', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let base: string;
  let readKey: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_PREFIX: testRedisPrefix(),
      API_KEY: ADMIN_KEY,
      SECRET_KEY: 'routes-e2e-secret-key-0123456789abcdef',
      THROTTLE_LIMIT: '1000000',
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
    const r = await fetch(`${base}/auth/keys`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'routes walker', role: 'read' }),
    });
    expect(r.status).toBe(201);
    readKey = ((await r.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const send = (route: string, headers: Record<string, string> = {}) => {
    const [method, path] = route.split(' ');
    return fetch(`${base}${concrete(path)}`, {
      method: method === 'ALL' ? 'GET' : method,
      headers,
      signal: AbortSignal.timeout(10_000),
    });
  };

  it('the server serves exactly the Nest controller routes (no raw Express route around the guard)', () => {
    const nest = nestRoutes(app).map((r) => r.route);
    const served = servedRoutes(app).filter((r) => !NON_NEST_PUBLIC.some((re) => re.test(r)));
    expect(served.length).toBeGreaterThan(5);
    expect([...served].sort()).toEqual([...nest].sort());
  });

  it('without credentials every route answers 401, except exactly the public ones', async () => {
    const routes = nestRoutes(app);
    expect(routes.filter((r) => r.public).map((r) => r.route)).toEqual(PUBLIC_ROUTES);
    const answers: string[] = [];
    for (const r of routes.filter((x) => !x.public)) {
      const res = await send(r.route);
      const body = await res.text();
      answers.push(`${r.route} → ${res.status} ${body}`);
    }
    const expected = JSON.stringify({ statusCode: 401, message: UNAUTHORIZED_MESSAGE });
    expect(answers).toEqual(routes.filter((x) => !x.public).map((r) => `${r.route} → 401 ${expected}`));
    // And a wrong key is no better than none.
    for (const r of routes.filter((x) => !x.public)) {
      expect([r.route, (await send(r.route, { 'x-api-key': 'nwk_wrong' })).status]).toEqual([r.route, 401]);
    }
    for (const route of PUBLIC_ROUTES) expect([route, (await send(route)).status]).toEqual([route, 200]);
  });

  it('with a read key every admin-only route answers 403; deletes and the named writes are admin-only', async () => {
    const routes = nestRoutes(app).filter((r) => !r.public);
    const adminOnly = routes.filter((r) => r.roles !== undefined && !r.roles.includes('read'));
    expect(adminOnly.length).toBeGreaterThan(3);
    for (const r of adminOnly) {
      const res = await send(r.route, { 'x-api-key': readKey });
      expect([r.route, res.status]).toEqual([r.route, 403]);
    }
    const mustBeAdmin = routes.filter((r) => r.route.startsWith('DELETE ') || ADMIN_ONLY_WRITES.test(r.route));
    expect(mustBeAdmin.filter((r) => !adminOnly.includes(r)).map((r) => r.route)).toEqual([]);
  });
});
