import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BAD_IP, IP_LIST } from '../../test/support/intel-scenario';
import { FeedCache } from './feed-cache';
import { IntelIndexSource } from './intel-index-source';

/** The workers' view of the feeds: reload only on change, keep the last good index on a broken file. */
describe('IntelIndexSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-intel-source-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const feedsFile = () => join(dir, 'intel-feeds.json');
  const urlFeed = { name: 'remote-ips', url: 'http://127.0.0.1:9/ips.txt', type: 'ip' };
  const hits = (s: IntelIndexSource) =>
    s
      .forCapture(null)
      .index.matchIpText(BAD_IP.ip)
      .map((h) => h.feeds);

  it('no feeds file: an empty index; a cached copy appearing is picked up, an unchanged one is not reloaded', () => {
    const lines: string[] = [];
    const s = new IntelIndexSource(dir, { log: (l) => lines.push(l) });
    const empty = s.version;
    expect(s.check()).toBe(false);
    writeFileSync(feedsFile(), JSON.stringify({ feeds: [urlFeed] }));
    // The feed is configured but never fetched: same (empty) indicator set, same version.
    expect(s.check()).toBe(false);
    expect(s.version).toBe(empty);
    expect(lines.join('\n')).toContain('feed remote-ips has never been fetched');

    new FeedCache(join(dir, 'intel-cache')).writeData('remote-ips', Buffer.from(IP_LIST));
    expect(s.check()).toBe(true);
    expect(s.version).not.toBe(empty);
    expect(hits(s)).toEqual([[0]]);
    expect(s.check()).toBe(false);
    // Another process reading the same files builds the same version.
    expect(new IntelIndexSource(dir).version).toBe(s.version);
  });

  it('a feeds file broken after start keeps the last good index (logged); broken at start throws', () => {
    writeFileSync(join(dir, 'ips.txt'), IP_LIST);
    writeFileSync(feedsFile(), JSON.stringify({ feeds: [{ name: 'ips', path: 'ips.txt', type: 'ip' }] }));
    const lines: string[] = [];
    const s = new IntelIndexSource(dir, { log: (l) => lines.push(l) });
    const v = s.version;
    writeFileSync(feedsFile(), '{ "feeds": [ broken');
    expect(s.check()).toBe(false);
    expect(s.version).toBe(v);
    expect(hits(s)).toEqual([[0]]);
    expect(lines.at(-1)).toMatch(/^intel: feeds file .* is not valid JSON: .*; keeping index [0-9a-f]{24}$/);
    expect(() => new IntelIndexSource(dir)).toThrow(/is not valid JSON/);
  });
});
