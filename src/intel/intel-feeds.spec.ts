import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BAD_DOMAIN,
  BAD_IP,
  BAD_NAME,
  CLIENT,
  DOMAIN_LIST,
  IP_LIST,
  RESOLVER,
  TLS_SERVER,
  intelScenario,
  startFeedServer,
  type FeedServer,
} from '../../test/support/intel-scenario';
import { SHARED_PCAPS } from '../../test/support/paths';
import { toRecord } from '../../test/support/frame-builder';
import { analyzeCapture } from '../engine/analyze-capture';
import { resolveConfig } from '../engine/config';
import { createDetectors } from '../engine/detectors/registry';
import type { Finding } from '../engine/finding';
import type { IndicatorIndex } from '../engine/intel/indicator-index';
import { Pipeline } from '../engine/pipeline';
import { FeedCache } from './feed-cache';
import { validateFeeds, type FeedConfig } from './feed-config';
import { loadIntel, updateFeed } from './intel-feeds';

function runScenario(index: IndicatorIndex | undefined, only?: string[]): Finding[] {
  const config = resolveConfig();
  const t = intelScenario();
  const p = new Pipeline({ captureId: 'intel', detectors: createDetectors(config, only, { intel: index }), config });
  t.frames.forEach((f, i) => p.push(toRecord(f.data, { time: f.time, frame: i + 1 })));
  p.finish();
  return p.findings();
}

const summary = (f: Finding[]) =>
  f.map((x) => ({
    type: x.type,
    severity: x.severity,
    mitre: x.mitre,
    field: x.evidence.field,
    indicator: x.evidence.indicator,
    feeds: x.evidence.feeds,
    observed: x.evidence.observed,
    src: x.src,
    dst: x.dst,
    count: x.count,
    frames: x.evidence.frames,
  }));

/** Exactly the scenario's four hits (see intelScenario's frame list). */
const EXPECTED = [
  {
    type: 'blocklisted-domain',
    severity: 'medium',
    mitre: 'T1568',
    field: 'dns.query',
    indicator: BAD_DOMAIN,
    feeds: ['test-domains'],
    observed: BAD_NAME,
    src: { ip: CLIENT.ip, port: 40001 },
    dst: { ip: RESOLVER.ip, port: 53 },
    count: 2,
    frames: [1, 2],
  },
  {
    type: 'blocklisted-domain',
    severity: 'medium',
    mitre: 'T1568',
    field: 'tls.sni',
    indicator: BAD_DOMAIN,
    feeds: ['test-domains'],
    observed: BAD_NAME,
    src: { ip: CLIENT.ip, port: 40002 },
    dst: { ip: TLS_SERVER.ip, port: 443 },
    count: 1,
    frames: [6],
  },
  {
    type: 'blocklisted-ip',
    severity: 'high',
    mitre: 'T1071',
    field: 'ip.dst',
    indicator: BAD_IP.ip,
    feeds: ['test-ips'],
    observed: BAD_IP.ip,
    src: { ip: CLIENT.ip },
    dst: { ip: BAD_IP.ip },
    count: 2,
    frames: [8, 10],
  },
  {
    type: 'blocklisted-ip',
    severity: 'high',
    mitre: 'T1071',
    field: 'ip.src',
    indicator: BAD_IP.ip,
    feeds: ['test-ips'],
    observed: BAD_IP.ip,
    src: { ip: BAD_IP.ip },
    dst: { ip: CLIENT.ip },
    count: 1,
    frames: [9],
  },
];

describe('threat-intel feeds from a local HTTP server', () => {
  let server: FeedServer;
  let dir: string;
  let cache: FeedCache;
  let feeds: FeedConfig[];

  beforeAll(async () => {
    server = await startFeedServer();
    dir = mkdtempSync(join(tmpdir(), 'netwarden-intel-'));
    cache = new FeedCache(join(dir, 'cache'));
    feeds = validateFeeds({
      feeds: [
        { name: 'test-ips', url: `${server.url}/ips.txt`, type: 'ip', timeoutSeconds: 2 },
        { name: 'test-domains', url: `${server.url}/domains.txt`, type: 'domain', severity: 'medium' },
      ],
    });
  });
  afterAll(() => server.close());

  it('a never-fetched feed is a clear warning and loads nothing', () => {
    const load = loadIntel(feeds, cache);
    expect(load.index.size).toBe(0);
    expect(load.warnings).toEqual([
      `feed test-ips has never been fetched (no copy in ${cache.dir}): run netwarden intel update`,
      `feed test-domains has never been fetched (no copy in ${cache.dir}): run netwarden intel update`,
    ]);
  });

  it('fetches both lists, and the capture gives exactly the listed IP and domain hits', async () => {
    server.routes.set('/ips.txt', { body: IP_LIST, etag: '"ips-v1"' });
    server.routes.set('/domains.txt', { body: DOMAIN_LIST, etag: '"dom-v1"' });
    const r1 = await updateFeed(feeds[0], cache);
    const r2 = await updateFeed(feeds[1], cache);
    expect([r1.status, r1.indicators, r1.bad, r2.status, r2.indicators, r2.bad]).toEqual([
      'updated',
      4,
      0,
      'updated',
      2,
      0,
    ]);
    const load = loadIntel(feeds, cache);
    expect(load.warnings).toEqual([]);
    expect(load.index.counts).toEqual({ ipv4: 1, ipv4Cidr: 3, ipv6: 0, domain: 2, url: 0 });
    expect(summary(runScenario(load.index, ['threat-intel']))).toEqual(EXPECTED);
    // Every detector together: the others find nothing in this clean-looking traffic, and
    // threat-intel's findings are unchanged.
    expect(summary(runScenario(load.index))).toEqual(EXPECTED);
  });

  it('nothing without intel, and nothing on attacks/clean-web.pcap with the same feeds', async () => {
    expect(runScenario(undefined, ['threat-intel'])).toEqual([]);
    const load = loadIntel(feeds, cache);
    const a = await analyzeCapture(join(SHARED_PCAPS, 'attacks', 'clean-web.pcap'), 'clean-web', {
      config: resolveConfig(),
      detectors: ['threat-intel'],
      resources: { intel: load.index },
    });
    expect(a.errors).toEqual([]);
    expect(a.packets).toBe(47);
    expect(a.findings).toEqual([]);
  });

  it('HTTP 500: the last good list is kept and the error recorded and reported', async () => {
    server.routes.set('/ips.txt', { status: 500 });
    const r = await updateFeed(feeds[0], cache);
    expect(r).toMatchObject({
      name: 'test-ips',
      status: 'error',
      error: 'HTTP 500 Internal Server Error',
      indicators: 4,
    });
    expect(cache.readMeta('test-ips')).toMatchObject({
      lastStatus: 'error',
      lastError: 'HTTP 500 Internal Server Error',
      indicators: 4,
      etag: '"ips-v1"',
    });
    expect(cache.readData('test-ips')!.toString()).toBe(IP_LIST);
    const load = loadIntel(feeds, cache);
    expect(load.feeds[0]).toMatchObject({
      name: 'test-ips',
      source: 'cache',
      indicators: 4,
      lastError: 'HTTP 500 Internal Server Error',
    });
    expect(summary(runScenario(load.index, ['threat-intel']))).toEqual(EXPECTED);
  });

  it('304 with the ETag keeps the copy (and clears the error)', async () => {
    server.routes.set('/ips.txt', { body: 'never served', etag: '"ips-v1"' });
    const before = server.requests.length;
    const r = await updateFeed(feeds[0], cache);
    expect(server.requests.slice(before)).toEqual([
      { path: '/ips.txt', ifNoneMatch: '"ips-v1"', ifModifiedSince: 'Tue, 24 Nov 2026 08:00:00 GMT' },
    ]);
    expect(r).toMatchObject({ status: 'not-modified', indicators: 4 });
    expect(r.error).toBeUndefined();
    expect(cache.readData('test-ips')!.toString()).toBe(IP_LIST);
    expect(cache.readMeta('test-ips')!.lastError).toBeUndefined();
  });

  it('garbage (no valid indicator), a timeout and an oversized answer keep the copy', async () => {
    server.routes.set('/ips.txt', { body: '<html><body>Login required</body></html>\n', etag: '"html"' });
    const g = await updateFeed(feeds[0], cache);
    expect(g).toMatchObject({
      status: 'error',
      indicators: 4,
      error: 'no valid indicators in the answer (41 bytes, 1 bad lines)',
    });

    server.routes.set('/ips.txt', { body: IP_LIST, etag: '"slow"', delayMs: 3000 });
    const t = await updateFeed(feeds[0], cache);
    expect(t).toMatchObject({ status: 'error', indicators: 4, error: 'timed out after 2 s' });

    server.routes.set('/ips.txt', { body: `${'203.0.113.1\n'.repeat(200)}`, etag: '"big"' });
    const big = await updateFeed({ ...feeds[0], maxBytes: 1000 }, cache);
    expect(big).toMatchObject({ status: 'error', indicators: 4, error: 'answer is larger than maxBytes (1000)' });
    // (the test server streams without Content-Length: the cap is enforced while reading)

    expect(cache.readData('test-ips')!.toString()).toBe(IP_LIST);
    expect(summary(runScenario(loadIntel(feeds, cache).index, ['threat-intel']))).toEqual(EXPECTED);
  });

  it('a new list replaces the copy; an unreachable server keeps it', async () => {
    server.routes.set('/ips.txt', { body: '203.0.113.9\nbad line\n', etag: '"ips-v2"' });
    const r = await updateFeed(feeds[0], cache);
    expect(r).toMatchObject({
      status: 'updated',
      indicators: 1,
      bad: 1,
      badSample: [{ line: 2, reason: 'not an IP address or CIDR', text: 'bad line' }],
    });
    const f = runScenario(loadIntel(feeds, cache).index, ['threat-intel']);
    // good.example resolves to the newly listed address: a dns.answer hit, then the session's packets.
    expect(
      f.filter((x) => x.type === 'blocklisted-ip').map((x) => [x.evidence.field, x.evidence.indicator, x.count]),
    ).toEqual([
      ['dns.answer', '203.0.113.9', 1],
      ['ip.dst', '203.0.113.9', 3],
      ['ip.src', '203.0.113.9', 2],
    ]);
    // A port nothing listens on: a server we start and stop.
    const gone = await startFeedServer();
    await gone.close();
    const down = validateFeeds([{ name: 'test-ips', url: `${gone.url}/ips.txt`, type: 'ip' }])[0];
    const u = await updateFeed(down, cache);
    expect(u.status).toBe('error');
    expect(u.error).toMatch(/^fetch failed \(ECONNREFUSED\)$/);
    expect(readFileSync(join(cache.dir, 'test-ips.data'), 'utf8')).toBe('203.0.113.9\nbad line\n');
  });

  it('local path feeds are read directly (relative to the feeds file)', async () => {
    writeFileSync(join(dir, 'local.txt'), `${BAD_IP.ip}\n`);
    const local = validateFeeds([{ name: 'local', path: 'local.txt', type: 'ip' }]);
    const feedsFile = join(dir, 'feeds.json');
    expect(await updateFeed(local[0], cache, { feedsFile })).toMatchObject({ status: 'local', indicators: 1 });
    const load = loadIntel(local, cache, feedsFile);
    expect(load.feeds).toEqual([{ name: 'local', source: 'local', indicators: 1, bad: 0 }]);
    expect(load.index.counts.ipv4).toBe(1);
  });
});

/** Feeds with secrets in the URL or from the environment: sent to the server, shown nowhere. */
describe('feed secrets are sent, never shown', () => {
  let server: FeedServer;
  let cache: FeedCache;
  const SECRETS = /S3cr3t|Pa55w0rd|T0kenValue/;
  const basic = `Basic ${Buffer.from('reader:Pa55w0rd').toString('base64')}`;

  beforeAll(async () => {
    server = await startFeedServer();
    cache = new FeedCache(join(mkdtempSync(join(tmpdir(), 'netwarden-intel-secret-')), 'cache'));
  });
  afterAll(() => server.close());

  const metaText = (name: string) => readFileSync(join(cache.dir, `${name}.meta.json`), 'utf8');

  it('userinfo + ?apikey: fetched with Basic auth and the key; meta.json and errors redacted', async () => {
    const host = server.url.slice('http://'.length);
    const [feed] = validateFeeds([
      { name: 'paid', url: `http://reader:Pa55w0rd@${host}/paid.txt?apikey=S3cr3t&list=drop`, type: 'ip' },
    ]);
    server.routes.set('/paid.txt', { body: IP_LIST, etag: '"p1"' });
    const r = await updateFeed(feed, cache);
    expect(r).toMatchObject({ status: 'updated', indicators: 4 });
    expect(server.received.at(-1)).toEqual({ target: '/paid.txt?apikey=S3cr3t&list=drop', authorization: basic });
    expect(cache.readMeta('paid')!.source).toBe(`http://***@${host}/paid.txt?apikey=***&list=drop`);
    expect(metaText('paid')).not.toMatch(SECRETS);

    // A server that quotes the key in its reason phrase: the error says *** instead.
    server.routes.set('/paid.txt', { status: 403, statusText: 'apikey S3cr3t revoked for reader:Pa55w0rd' });
    const e = await updateFeed(feed, cache);
    expect(e).toMatchObject({ status: 'error', indicators: 4, error: 'HTTP 403 apikey *** revoked for ***:***' });
    expect(metaText('paid')).not.toMatch(SECRETS);
    expect(cache.readMeta('paid')).toMatchObject({ lastError: 'HTTP 403 apikey *** revoked for ***:***' });
  });

  it('a header from ${env:…} is sent, never stored; a missing variable is a per-feed error keeping the copy', async () => {
    const [feed] = validateFeeds([
      {
        name: 'envfeed',
        url: `${server.url}/env.txt`,
        type: 'ip',
        headers: { Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}', 'Auth-Key': '${env:NETWARDEN_FEED_TOKEN}' },
      },
    ]);
    server.routes.set('/env.txt', { body: IP_LIST, etag: '"e1"' });
    const ok = await updateFeed(feed, cache, { env: { NETWARDEN_FEED_TOKEN: 'T0kenValue' } });
    expect(ok).toMatchObject({ status: 'updated', indicators: 4 });
    expect(server.received.at(-1)).toEqual({
      target: '/env.txt',
      authorization: 'Bearer T0kenValue',
      authKey: 'T0kenValue',
    });
    expect(metaText('envfeed')).not.toMatch(SECRETS);

    const before = server.received.length;
    const missing = await updateFeed(feed, cache, { env: {} });
    expect(missing).toMatchObject({
      status: 'error',
      indicators: 4,
      error: 'environment variable NETWARDEN_FEED_TOKEN is not set; not fetched',
    });
    expect(server.received.length).toBe(before);
    expect(cache.readData('envfeed')!.toString()).toBe(IP_LIST);
  });

  it("redirects: the feed's own headers follow a same-origin redirect, never one to another origin", async () => {
    const other = await startFeedServer();
    try {
      const [feed] = validateFeeds([
        {
          name: 'redirected',
          url: `${server.url}/moved.txt`,
          type: 'ip',
          headers: { 'Auth-Key': '${env:NETWARDEN_FEED_TOKEN}' },
        },
      ]);
      const env = { env: { NETWARDEN_FEED_TOKEN: 'T0kenValue' } };
      server.routes.set('/moved.txt', { status: 302, location: '/here.txt' });
      server.routes.set('/here.txt', { body: IP_LIST });
      expect(await updateFeed(feed, cache, env)).toMatchObject({ status: 'updated', indicators: 4 });
      expect(server.received.slice(-2)).toEqual([
        { target: '/moved.txt', authKey: 'T0kenValue' },
        { target: '/here.txt', authKey: 'T0kenValue' },
      ]);

      server.routes.set('/moved.txt', { status: 301, location: `${other.url}/elsewhere.txt` });
      other.routes.set('/elsewhere.txt', { body: IP_LIST });
      expect(await updateFeed(feed, cache, env)).toMatchObject({ status: 'updated', indicators: 4 });
      expect(server.received.at(-1)).toEqual({ target: '/moved.txt', authKey: 'T0kenValue' });
      expect(other.received).toEqual([{ target: '/elsewhere.txt' }]);

      server.routes.set('/moved.txt', { status: 302, location: 'file:///etc/passwd' });
      expect(await updateFeed(feed, cache, env)).toMatchObject({
        status: 'error',
        error: 'redirect to a file: URL refused',
      });
    } finally {
      await other.close();
    }
  });
});
