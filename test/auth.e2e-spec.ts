import { createHash } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { UNAUTHORIZED_MESSAGE } from '../src/auth/access.guard';
import { jwtSigningKey } from '../src/auth/key-material';
import { loadSettings } from '../src/config/settings';
import { configureApp } from '../src/http/configure-app';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './support/test-database';

/**
 * Auth over real HTTP against the whole AppModule on a fresh PostgreSQL database: API keys
 * (hashed, roles, revocation), JWTs (issue, expiry, tampering, revocation), 401/403 bodies.
 */
const ADMIN_KEY = 'auth-e2e-admin-key-0123456789abcdef';
const SECRET = 'auth-e2e-secret-key-0123456789abcdef0123';
const ENV = {
  NODE_ENV: 'test',
  API_KEY: ADMIN_KEY,
  SECRET_KEY: SECRET,
  JWT_TTL_SECONDS: '120',
  THROTTLE_LIMIT: '100000',
};
const UNAUTHORIZED = { statusCode: 401, message: UNAUTHORIZED_MESSAGE };

interface KeyInfo {
  id: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

describe('auth (API keys, JWT, roles) over HTTP', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let base: string;
  const saved: Record<string, string | undefined> = {};

  const call = (
    method: string,
    path: string,
    o: { key?: string; bearer?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(o.key !== undefined ? { 'x-api-key': o.key } : {}),
        ...(o.bearer !== undefined ? { authorization: `Bearer ${o.bearer}` } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });

  const rows = async () =>
    (await db.dataSource.query(
      `SELECT id, name, "keyHash", prefix, role, "lastUsedAt", "revokedAt" FROM api_keys ORDER BY "createdAt", id`,
    )) as Array<{
      id: string;
      name: string;
      keyHash: string;
      prefix: string;
      role: string;
      lastUsedAt: Date | null;
      revokedAt: Date | null;
    }>;

  async function createKey(name: string, role: string): Promise<KeyInfo & { key: string }> {
    const r = await call('POST', '/auth/keys', { key: ADMIN_KEY, body: { name, role } });
    expect(r.status).toBe(201);
    return (await r.json()) as KeyInfo & { key: string };
  }

  async function tokenFor(key: string): Promise<string> {
    const r = await call('POST', '/auth/token', { key });
    expect(r.status).toBe(200);
    return ((await r.json()) as { accessToken: string }).accessToken;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { ...ENV, DATABASE_URL: db.url, REDIS_PREFIX: testRedisPrefix() };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = mod.createNestApplication<NestExpressApplication>({ logger: false });
    configureApp(app, loadSettings());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('stores env API_KEY as the admin key "env", hash only', async () => {
    const all = await rows();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ name: 'env', role: 'admin', prefix: '(env API_KEY)', revokedAt: null });
    expect(all[0].keyHash).toBe(createHash('sha256').update(ADMIN_KEY).digest('hex'));
  });

  it('401 with the same body, never echoing what was sent, for every kind of bad credential', async () => {
    const wrongKey = 'nwk_thisIsNotAKeyAnyoneHas0123456789abcdefghij';
    const forged = new JwtService({ secret: jwtSigningKey(SECRET) });
    const envId = (await rows())[0].id;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: envId, role: 'admin', iss: 'netwarden', aud: 'netwarden-api' };
    const good = await tokenFor(ADMIN_KEY);
    const [h, p, s] = good.split('.');
    const tamperedPayload = Buffer.from(
      JSON.stringify({ ...(JSON.parse(Buffer.from(p, 'base64url').toString()) as object), role: 'read' }),
    ).toString('base64url');
    const bad: Array<{ what: string; key?: string; bearer?: string; headers?: Record<string, string> }> = [
      { what: 'nothing' },
      { what: 'wrong key', key: wrongKey },
      { what: 'empty key', key: '' },
      { what: 'key with a suffix', key: `${ADMIN_KEY}x` },
      { what: 'key as a bearer token', bearer: ADMIN_KEY },
      { what: 'garbage bearer', bearer: 'not.a.jwt' },
      { what: 'expired JWT', bearer: forged.sign({ ...claims, iat: now - 600, exp: now - 300 }) },
      { what: 'tampered payload', bearer: `${h}.${tamperedPayload}.${s}` },
      { what: 'tampered signature', bearer: `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}` },
      { what: 'signed with the raw SECRET_KEY', bearer: new JwtService({ secret: SECRET }).sign(claims) },
      { what: 'alg none', bearer: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.` },
      { what: 'other issuer', bearer: forged.sign({ ...claims, iss: 'someone-else' }) },
      { what: 'unknown key id', bearer: forged.sign({ ...claims, sub: '3f1e7f5e-2c1a-4c3b-9d4e-5a6b7c8d9e0f' }) },
      { what: 'basic auth', headers: { authorization: `Basic ${Buffer.from(`x:${ADMIN_KEY}`).toString('base64')}` } },
    ];
    for (const b of bad) {
      const r = await call('GET', '/intel/feeds', b);
      const text = await r.text();
      expect({ what: b.what, status: r.status, body: JSON.parse(text) as unknown }).toEqual({
        what: b.what,
        status: 401,
        body: UNAUTHORIZED,
      });
      if (b.key) expect(text).not.toContain(b.key);
    }
    // The same with good claims signed by the derived key works: the 401s above are about the token, not the claims.
    expect((await call('GET', '/intel/feeds', { bearer: forged.sign(claims, { expiresIn: 60 }) })).status).toBe(200);
  });

  it('creates a key: shown once (nwk_ + 32 random bytes), only its SHA-256 stored, listings show no secrets', async () => {
    const created = await createKey('ci reader', 'read');
    expect(created.key).toMatch(/^nwk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
    expect(created).toMatchObject({
      name: 'ci reader',
      role: 'read',
      prefix: created.key.slice(0, 10),
      revokedAt: null,
    });
    const row = (await rows()).find((r) => r.id === created.id)!;
    expect(row.keyHash).toBe(createHash('sha256').update(created.key).digest('hex'));
    const dump = JSON.stringify(await db.dataSource.query('SELECT * FROM api_keys'));
    expect(dump).not.toContain(created.key);
    expect(dump).not.toContain(ADMIN_KEY);

    const list = await call('GET', '/auth/keys', { key: ADMIN_KEY });
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(row.keyHash);
    const keys = (JSON.parse(text) as { keys: KeyInfo[] }).keys;
    expect(keys.map((k) => [k.name, k.role])).toEqual([
      ['env', 'admin'],
      ['ci reader', 'read'],
    ]);
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role']);
    }

    // The role between read and admin (raw packets and uploads) is created the same way.
    const analyst = await createKey('ci analyst', 'analyst');
    expect(analyst).toMatchObject({ name: 'ci analyst', role: 'analyst', prefix: analyst.key.slice(0, 10) });
    expect((await call('GET', '/auth/keys', { key: analyst.key })).status).toBe(403);

    const bad = await call('POST', '/auth/keys', { key: ADMIN_KEY, body: { name: '', role: 'root' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      'name must be 1-64 letters, digits, spaces or . _ @ : -; role must be one of read, analyst, admin',
    );
    const malformed = await fetch(`${base}/auth/keys`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
  });

  it('a read key reads (200) but may not change (403), by key and by its JWT', async () => {
    const reader = await createKey('reader', 'read');
    const jwt = await tokenFor(reader.key);
    for (const auth of [{ key: reader.key }, { bearer: jwt }]) {
      expect((await call('GET', '/intel/feeds', auth)).status).toBe(200);
      const post = await call('POST', '/intel/feeds', { ...auth, body: { name: 'x', url: 'http://x/', type: 'ip' } });
      expect(post.status).toBe(403);
      expect(((await post.json()) as { message: string }).message).toBe(
        'this route needs the admin role; this key has read',
      );
      expect((await call('DELETE', '/intel/feeds/x', auth)).status).toBe(403);
      expect((await call('GET', '/auth/keys', auth)).status).toBe(403);
      expect((await call('POST', '/auth/keys', { ...auth, body: { name: 'mine', role: 'admin' } })).status).toBe(403);
    }
  });

  it('JWT flow: key in header or body → HS256 token with key id and role, expiring after JWT_TTL_SECONDS', async () => {
    const envId = (await rows())[0].id;
    const viaHeader = await call('POST', '/auth/token', { key: ADMIN_KEY });
    const viaBody = await call('POST', '/auth/token', { body: { apiKey: ADMIN_KEY } });
    for (const r of [viaHeader, viaBody]) {
      expect(r.status).toBe(200);
      const doc = (await r.json()) as { accessToken: string; tokenType: string; expiresIn: number };
      expect(doc.tokenType).toBe('Bearer');
      expect(doc.expiresIn).toBe(120);
      const [header, payload] = doc.accessToken.split('.').map((part) => {
        try {
          return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(payload).toMatchObject({ sub: envId, role: 'admin', iss: 'netwarden', aud: 'netwarden-api' });
      expect((payload.exp as number) - (payload.iat as number)).toBe(120);
      expect((await call('GET', '/auth/keys', { bearer: doc.accessToken })).status).toBe(200);
    }
    for (const bad of [
      call('POST', '/auth/token', { body: { apiKey: 'nope-nope-nope-nope' } }),
      call('POST', '/auth/token', { body: { apiKey: 42 } }),
      call('POST', '/auth/token', {}),
      call('POST', '/auth/token', { bearer: await tokenFor(ADMIN_KEY) }),
      // A wrong header is not rescued by a right body: one credential, checked once.
      call('POST', '/auth/token', { key: 'wrong-wrong-wrong-wrong', body: { apiKey: ADMIN_KEY } }),
    ]) {
      const r = await bad;
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual(UNAUTHORIZED);
    }
  });

  it('lastUsedAt is recorded on use, then not rewritten on every request', async () => {
    const k = await createKey('counted', 'read');
    expect((await rows()).find((r) => r.id === k.id)!.lastUsedAt).toBeNull();
    expect((await call('GET', '/intel/feeds', { key: k.key })).status).toBe(200);
    let first: Date | null = null;
    for (let i = 0; i < 50 && first === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      first = (await rows()).find((r) => r.id === k.id)!.lastUsedAt;
    }
    expect(first).not.toBeNull();
    for (let i = 0; i < 5; i++) expect((await call('GET', '/intel/feeds', { key: k.key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await rows()).find((r) => r.id === k.id)!.lastUsedAt).toEqual(first);
  });

  it('revoking a key ends the key and its JWTs at once; the last admin key cannot be revoked (409)', async () => {
    const temp = await createKey('temp', 'read');
    const jwt = await tokenFor(temp.key);
    const del = await call('DELETE', `/auth/keys/${temp.id}`, { key: ADMIN_KEY });
    expect(del.status).toBe(200);
    expect(((await del.json()) as KeyInfo).revokedAt).not.toBeNull();
    expect((await call('GET', '/intel/feeds', { key: temp.key })).status).toBe(401);
    expect((await call('GET', '/intel/feeds', { bearer: jwt })).status).toBe(401);
    expect((await call('POST', '/auth/token', { key: temp.key })).status).toBe(401);
    expect((await call('DELETE', `/auth/keys/${temp.id}`, { key: ADMIN_KEY })).status).toBe(404);
    expect((await call('DELETE', '/auth/keys/not-a-uuid', { key: ADMIN_KEY })).status).toBe(400);

    const envId = (await rows())[0].id;
    const last = await call('DELETE', `/auth/keys/${envId}`, { key: ADMIN_KEY });
    expect(last.status).toBe(409);
    expect(((await last.json()) as { message: string }).message).toBe(
      'this is the last active admin key: create another admin key before revoking it',
    );
    const second = await createKey('second admin', 'admin');
    expect((await call('DELETE', `/auth/keys/${envId}`, { key: second.key })).status).toBe(200);
    expect((await call('GET', '/auth/keys', { key: ADMIN_KEY })).status).toBe(401);
    expect((await call('DELETE', `/auth/keys/${second.id}`, { key: second.key })).status).toBe(409);
  });
});
