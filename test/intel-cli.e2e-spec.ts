import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureAnalysis } from '../src/engine/analyze-capture';
import {
  BAD_DOMAIN,
  BAD_IP,
  DOMAIN_LIST,
  IP_LIST,
  scenarioPcap,
  startFeedServer,
  type FeedServer,
} from './support/intel-scenario';
import { ROOT } from './support/paths';
import type { CliResult } from './support/run-cli';

/**
 * `netwarden intel update|list` and `analyze --intel` as a user runs them (dist/: npm run build
 * first), against feeds served by a local HTTP server. The CLI runs asynchronously here: a
 * synchronous spawn would block the very server it fetches from.
 */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'netwarden.js'), ...args],
      { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

describe('netwarden intel + analyze --intel', () => {
  let server: FeedServer;
  const dir = mkdtempSync(join(tmpdir(), 'netwarden-intel-cli-'));
  const feedsFile = join(dir, 'feeds.json');
  const cache = join(dir, 'cache');
  const pcap = join(dir, 'scenario.pcap');

  beforeAll(async () => {
    server = await startFeedServer();
    server.routes.set('/ips.txt', { body: IP_LIST, etag: '"v1"' });
    server.routes.set('/domains.txt', { body: DOMAIN_LIST });
    writeFileSync(
      feedsFile,
      JSON.stringify({
        feeds: [
          { name: 'test-ips', url: `${server.url}/ips.txt`, type: 'ip' },
          { name: 'test-domains', url: `${server.url}/domains.txt`, type: 'domain', severity: 'medium' },
        ],
      }),
    );
    writeFileSync(pcap, scenarioPcap());
  });
  afterAll(() => server.close());

  it('analyze --intel before any update: a clear warning, no intel findings, exit 0', async () => {
    const r = await cli(['analyze', '--json', '--intel', feedsFile, '--intel-cache', cache, pcap]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('netwarden: intel: feed test-ips has never been fetched');
    expect(r.stderr).toContain('run netwarden intel update');
    const doc = JSON.parse(r.stdout) as CaptureAnalysis;
    expect(doc.findings).toEqual([]);
  });

  it('intel update fetches both feeds and prints a status table (exit 0)', async () => {
    const r = await cli(['intel', 'update', '--feeds', feedsFile, '--cache', cache]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^feed\s+status\s+indicators\s+bad lines\s+copy fetched\s+error$/);
    expect(lines[1]).toMatch(/^test-ips\s+updated\s+4\s+0\s+\d{4}-\d\d-\d\dT/);
    expect(lines[2]).toMatch(/^test-domains\s+updated\s+2\s+0\s+\d{4}-/);
    expect(lines).toHaveLength(3);
  });

  it('analyze --intel shows exactly the listed IP and domain hits', async () => {
    const r = await cli(['analyze', '--json', '--intel', feedsFile, '--intel-cache', cache, pcap]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as CaptureAnalysis;
    expect(doc.packets).toBe(17);
    expect(
      doc.findings.map((f) => [f.detector, f.type, f.evidence.field, f.evidence.indicator, f.evidence.feeds, f.count]),
    ).toEqual([
      ['threat-intel', 'blocklisted-domain', 'dns.query', BAD_DOMAIN, ['test-domains'], 2],
      ['threat-intel', 'blocklisted-domain', 'tls.sni', BAD_DOMAIN, ['test-domains'], 1],
      ['threat-intel', 'blocklisted-ip', 'ip.dst', BAD_IP.ip, ['test-ips'], 2],
      ['threat-intel', 'blocklisted-ip', 'ip.src', BAD_IP.ip, ['test-ips'], 1],
    ]);
    const table = await cli(['analyze', '--intel', feedsFile, '--intel-cache', cache, pcap]);
    expect(table.stdout).toContain(`Blocklisted address ${BAD_IP.ip} (ip.dst, feed test-ips) with 10.20.0.5`);
    expect(table.stdout).toContain(`Blocklisted domain ${BAD_DOMAIN} (tls.sni, feed test-domains) with 10.20.0.5`);
  });

  it('a failing feed: exit 1, the error in the table, the last good copy still matches', async () => {
    server.routes.set('/ips.txt', { status: 500 });
    const r = await cli(['intel', 'update', '--feeds', feedsFile, '--cache', cache]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/test-ips\s+error\s+4\s+0\s+\S+\s+HTTP 500 Internal Server Error \(last good copy kept\)/);
    const list = await cli(['intel', 'list', '--feeds', feedsFile, '--cache', cache]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /test-ips\s+yes\s+ip\s+plain\s+high\s+60 min\s+yes\s+4\s+\S+\s+http:\/\/127\.0\.0\.1:\d+\/ips\.txt \(last error: HTTP 500/,
    );
    const a = await cli(['analyze', '--json', '--intel', feedsFile, '--intel-cache', cache, pcap]);
    const doc = JSON.parse(a.stdout) as CaptureAnalysis;
    expect(doc.findings.filter((f) => f.evidence.indicator === BAD_IP.ip)).toHaveLength(2);
  });

  it('feed secrets (userinfo, ?apikey, ${env:…} header) are sent but never printed nor cached in clear', async () => {
    const SECRETS = /S3cr3t|Pa55w0rd|T0kenValue/;
    const host = server.url.slice('http://'.length);
    const file = join(dir, 'secret-feeds.json');
    writeFileSync(
      file,
      JSON.stringify({
        feeds: [
          { name: 'paid', url: `http://reader:Pa55w0rd@${host}/paid.txt?apikey=S3cr3t`, type: 'ip' },
          {
            name: 'envfeed',
            url: `${server.url}/env.txt`,
            type: 'ip',
            headers: { Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}' },
          },
        ],
      }),
    );
    server.routes.set('/paid.txt', { body: IP_LIST });
    server.routes.set('/env.txt', { body: IP_LIST });
    const env = { NETWARDEN_FEED_TOKEN: 'T0kenValue' };
    const up = await cli(['intel', 'update', '--feeds', file, '--cache', cache], env);
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/paid\s+updated\s+4/);
    expect(up.stdout + up.stderr).not.toMatch(SECRETS);
    expect(server.received.slice(-2)).toEqual([
      {
        target: '/paid.txt?apikey=S3cr3t',
        authorization: `Basic ${Buffer.from('reader:Pa55w0rd').toString('base64')}`,
      },
      { target: '/env.txt', authorization: 'Bearer T0kenValue' },
    ]);
    for (const n of ['paid', 'envfeed'])
      expect(readFileSync(join(cache, `${n}.meta.json`), 'utf8')).not.toMatch(SECRETS);

    server.routes.set('/paid.txt', { status: 401, statusText: 'apikey S3cr3t unknown' });
    const failed = await cli(['intel', 'update', '--feeds', file, '--cache', cache]); // and no NETWARDEN_FEED_TOKEN
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(
      /paid\s+error\s+4\s+0\s+\S+\s+HTTP 401 apikey \*\*\* unknown \(last good copy kept\)/,
    );
    expect(failed.stdout).toMatch(
      /envfeed\s+error\s+4\s+0\s+\S+\s+environment variable NETWARDEN_FEED_TOKEN is not set; not fetched \(last good copy kept\)/,
    );
    expect(failed.stdout + failed.stderr).not.toMatch(SECRETS);
    for (const args of [['--json'], []]) {
      const list = await cli(['intel', 'list', '--feeds', file, '--cache', cache, ...args]);
      expect(list.status).toBe(0);
      expect(list.stdout + list.stderr).not.toMatch(SECRETS);
    }
    const json = JSON.parse(
      (await cli(['intel', 'list', '--feeds', file, '--cache', cache, '--json'])).stdout,
    ) as Array<Record<string, unknown>>;
    expect(json.map((f) => [f.source, f.headers, f.lastError])).toEqual([
      [`http://***@${host}/paid.txt?apikey=***`, undefined, 'HTTP 401 apikey *** unknown'],
      [
        `${server.url}/env.txt`,
        { Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}' },
        'environment variable NETWARDEN_FEED_TOKEN is not set; not fetched',
      ],
    ]);
  });

  it('a bad feeds file is a usage error (exit 2, one line)', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ feeds: [{ name: 'x', url: 'ftp://example.com/list', type: 'ip' }] }));
    const r = await cli(['intel', 'update', '--feeds', bad, '--cache', cache]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `netwarden: feeds file ${bad}: feeds[0]: feed x: url scheme ftp: is not http, https or file\n`,
    );
    const a = await cli(['analyze', '--intel', bad, pcap]);
    expect(a.status).toBe(2);
  });
});
