import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { UNAUTHORIZED_MESSAGE } from '../auth/access.guard';
import { AuthModule } from '../auth/auth.module';
import { SettingsModule } from '../config/settings.module';
import { DatabaseModule } from '../database/database.module';
import { IP_LIST, startFeedServer, type FeedServer } from '../../test/support/intel-scenario';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { parseIPv4 } from '../engine/decode/address';
import { IntelModule } from './intel.module';
import { IntelService } from './intel.service';

/** The intel feeds API over real HTTP (app.listen on port 0 + fetch), with a real feed server. */
describe('intel feeds API', () => {
  const KEY = 'test-api-key-0123456789';
  let server: FeedServer;
  let app: INestApplication;
  let base: string;
  let db: TestDatabase;
  const dataDir = mkdtempSync(join(tmpdir(), 'netwarden-intel-api-'));
  const saved = {
    API_KEY: process.env.API_KEY,
    NETWARDEN_DATA_DIR: process.env.NETWARDEN_DATA_DIR,
    DATABASE_URL: process.env.DATABASE_URL,
  };

  async function start(): Promise<void> {
    const mod = await Test.createTestingModule({
      imports: [SettingsModule, DatabaseModule, AuthModule, IntelModule],
    }).compile();
    app = mod.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  }

  const call = (method: string, path: string, o: { key?: string | null; body?: unknown; raw?: string } = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(o.key === null ? {} : { 'x-api-key': o.key ?? KEY }),
        ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : o.raw !== undefined ? { body: o.raw } : {}),
    });

  beforeAll(async () => {
    process.env.API_KEY = KEY;
    process.env.NETWARDEN_DATA_DIR = dataDir;
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    server = await startFeedServer();
    server.routes.set('/ips.txt', { body: IP_LIST, etag: '"v1"' });
    await start();
  });
  afterAll(async () => {
    await app.close();
    await server.close();
    await db.drop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('401 without a key or with a wrong one', async () => {
    for (const key of [null, 'wrong', `${KEY}x`, '']) {
      const r = await call('GET', '/intel/feeds', { key });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { message: string }).message).toBe(UNAUTHORIZED_MESSAGE);
    }
    expect((await call('POST', '/intel/feeds/x/refresh', { key: null })).status).toBe(401);
    expect((await call('DELETE', '/intel/feeds/x', { key: 'nope' })).status).toBe(401);
  });

  it('starts with no feeds', async () => {
    const r = await call('GET', '/intel/feeds');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      feeds: [],
      index: { ipv4: 0, ipv4Cidr: 0, ipv6: 0, domain: 0, url: 0 },
      version: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
  });

  it('refuses invalid feeds with the reasons (400), and local paths through the API', async () => {
    const bad = await call('POST', '/intel/feeds', { body: { name: 'Bad Name', url: 'ftp://x/y', type: 'ipv4' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      'name must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit; url scheme ftp: is not http, https or file; type must be one of ip, cidr, domain, url',
    );
    const local = await call('POST', '/intel/feeds', { body: { name: 'etc', path: '/etc/passwd', type: 'domain' } });
    expect(local.status).toBe(400);
    expect(((await local.json()) as { message: string }).message).toMatch(/must use an http or https url/);
    const file = await call('POST', '/intel/feeds', {
      body: { name: 'etc', url: 'file:///etc/passwd', type: 'domain' },
    });
    expect(file.status).toBe(400);
    expect((await call('POST', '/intel/feeds', { raw: '{"name": ' })).status).toBe(400);
    expect((await call('POST', '/intel/feeds', { body: [1, 2] })).status).toBe(400);
  });

  it('adds a feed: fetched at once, persisted to the feeds file, scheduled, in the index', async () => {
    const r = await call('POST', '/intel/feeds', {
      body: { name: 'test-ips', url: `${server.url}/ips.txt`, type: 'ip', refreshMinutes: 30, severity: 'critical' },
    });
    expect(r.status).toBe(201);
    const doc = (await r.json()) as {
      result: { status: string; indicators: number };
      feed: { loaded: { indicators: number } };
    };
    expect(doc.result).toMatchObject({ status: 'updated', indicators: 4 });
    expect(doc.feed.loaded).toMatchObject({ source: 'cache', indicators: 4 });
    const saved = JSON.parse(readFileSync(join(dataDir, 'intel-feeds.json'), 'utf8')) as {
      feeds: Array<{ name: string }>;
    };
    expect(saved.feeds.map((f) => f.name)).toEqual(['test-ips']);
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual(['intel-feed:test-ips']);
    const svc = app.get(IntelService);
    expect(svc.getIndex().lookupV4(parseIPv4('198.51.100.66'))).toBeGreaterThanOrEqual(0);
    expect(svc.resources().intel?.feeds).toEqual([{ name: 'test-ips', severity: 'critical' }]);

    const list = (await (await call('GET', '/intel/feeds')).json()) as {
      feeds: Array<{ feed: { name: string; refreshMinutes: number }; cache: { etag: string; lastStatus: string } }>;
      index: { ipv4: number; ipv4Cidr: number };
    };
    expect(list.index).toMatchObject({ ipv4: 1, ipv4Cidr: 3 });
    expect(list.feeds).toHaveLength(1);
    expect(list.feeds[0].feed).toMatchObject({
      name: 'test-ips',
      refreshMinutes: 30,
      severity: 'critical',
      enabled: true,
    });
    expect(list.feeds[0].cache).toMatchObject({ etag: '"v1"', lastStatus: 'updated', indicators: 4 });
  });

  it('refresh: 304 keeps the copy; a 500 is reported and the index keeps the last good list', async () => {
    const ok = await call('POST', '/intel/feeds/test-ips/refresh');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { status: string } }).result.status).toBe('not-modified');
    server.routes.set('/ips.txt', { status: 500 });
    const r = await call('POST', '/intel/feeds/test-ips/refresh');
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { result: { status: string; error: string; indicators: number } };
    expect(doc.result).toMatchObject({ status: 'error', error: 'HTTP 500 Internal Server Error', indicators: 4 });
    expect(app.get(IntelService).counts()).toMatchObject({ ipv4: 1, ipv4Cidr: 3 });
    expect((await call('POST', '/intel/feeds/nope/refresh')).status).toBe(404);
  });

  it('a restarted service loads the persisted feed from its cache', async () => {
    await app.close();
    await start();
    expect(app.get(IntelService).counts()).toMatchObject({ ipv4: 1, ipv4Cidr: 3 });
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual(['intel-feed:test-ips']);
  });

  it('a feed with secrets: fetched with them, GET/POST answers and errors redacted, *** round-trips only unchanged', async () => {
    const host = server.url.slice('http://'.length);
    const url = `http://reader:Pa55w0rd@${host}/paid.txt?apikey=S3cr3t`;
    const shownUrl = `http://***@${host}/paid.txt?apikey=***`;
    server.routes.set('/paid.txt', { body: IP_LIST, etag: '"p1"' });
    process.env.NETWARDEN_FEED_TOKEN = 'T0kenValue';
    try {
      const headers = { 'Auth-Key': '${env:NETWARDEN_FEED_TOKEN}', 'X-Literal': 'Literal5ecret' };
      const add = await call('POST', '/intel/feeds', { body: { name: 'paid', url, type: 'ip', headers } });
      const addText = await add.text();
      expect(add.status).toBe(201);
      expect(addText).not.toMatch(/S3cr3t|Pa55w0rd|T0kenValue|Literal5ecret/);
      expect(server.received.at(-1)).toEqual({
        target: '/paid.txt?apikey=S3cr3t',
        authorization: `Basic ${Buffer.from('reader:Pa55w0rd').toString('base64')}`,
        authKey: 'T0kenValue',
      });
      const listText = await (await call('GET', '/intel/feeds')).text();
      expect(listText).not.toMatch(/S3cr3t|Pa55w0rd|T0kenValue|Literal5ecret/);
      const paid = (
        JSON.parse(listText) as { feeds: Array<{ feed: Record<string, unknown>; cache: { source: string } }> }
      ).feeds[1];
      expect(paid.feed).toMatchObject({
        url: shownUrl,
        headers: { 'Auth-Key': '${env:NETWARDEN_FEED_TOKEN}', 'X-Literal': '***' },
      });
      expect(paid.cache.source).toBe(shownUrl);

      // The server fails quoting the key: the refresh answer says ***.
      server.routes.set('/paid.txt', { status: 401, statusText: 'bad apikey S3cr3t' });
      const bad = await call('POST', '/intel/feeds/paid/refresh');
      const badText = await bad.text();
      expect(badText).not.toMatch(/S3cr3t|Pa55w0rd|T0kenValue|Literal5ecret/);
      expect((JSON.parse(badText) as { result: { error: string } }).result.error).toBe('HTTP 401 bad apikey ***');

      // Sending back what GET showed (severity changed) keeps the stored secrets.
      server.routes.set('/paid.txt', { body: IP_LIST, etag: '"p2"' });
      const again = await call('POST', '/intel/feeds', { body: { ...paid.feed, severity: 'low' } });
      expect(again.status).toBe(200);
      const stored = JSON.parse(readFileSync(join(dataDir, 'intel-feeds.json'), 'utf8')) as {
        feeds: Array<{ name: string; url: string; headers: unknown; severity: string }>;
      };
      expect(stored.feeds.find((f) => f.name === 'paid')).toMatchObject({ url, headers, severity: 'low' });
      expect(server.received.at(-1)).toMatchObject({ target: '/paid.txt?apikey=S3cr3t', authKey: 'T0kenValue' });

      // A *** that is not the stored value as shown cannot be a secret: 400.
      const other = await call('POST', '/intel/feeds', { body: { ...paid.feed, url: `${shownUrl}&v=2` } });
      expect(other.status).toBe(400);
      expect(((await other.json()) as { message: string }).message).toMatch(
        /^feed paid: url is redacted \(\*\*\*\): secrets cannot round-trip/,
      );
      expect((await call('DELETE', '/intel/feeds/paid')).status).toBe(200);
    } finally {
      delete process.env.NETWARDEN_FEED_TOKEN;
    }
  });

  it('deletes a feed: gone from the list, the file, the schedule, the cache and the index', async () => {
    const r = await call('DELETE', '/intel/feeds/test-ips');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ deleted: 'test-ips' });
    expect(((await (await call('GET', '/intel/feeds')).json()) as { feeds: unknown[] }).feeds).toEqual([]);
    expect(JSON.parse(readFileSync(join(dataDir, 'intel-feeds.json'), 'utf8'))).toEqual({ feeds: [] });
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual([]);
    expect(existsSync(join(dataDir, 'intel-cache', 'test-ips.data'))).toBe(false);
    expect(app.get(IntelService).getIndex().size).toBe(0);
    expect((await call('DELETE', '/intel/feeds/test-ips')).status).toBe(404);
    expect((await call('DELETE', '/intel/feeds/..%2Fetc')).status).toBe(404);
  });
});
