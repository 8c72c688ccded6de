import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCapture, storedFindings } from '../../test/support/capture-fixtures';
import { BAD_DOMAIN, BAD_IP, DOMAIN_LIST, IP_LIST, scenarioPcap } from '../../test/support/intel-scenario';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { analyzeCapture } from '../engine/analyze-capture';
import { resolveConfig } from '../engine/config';
import type { Finding } from '../engine/finding';
import { FeedCache } from '../intel/feed-cache';
import { validateFeeds } from '../intel/feed-config';
import { IntelIndexSource } from '../intel/intel-index-source';
import { loadIntel } from '../intel/intel-feeds';
import { CaptureEntity } from './capture.entity';
import { ChunkProcessor } from './chunk-processor';
import { StateCipher } from './state-cipher';

/**
 * The workers' threat intel (real PostgreSQL, real files): a capture is pinned to the indicator
 * set current at its first chunk, so a feed change between its chunks changes nothing for it;
 * a worker that is behind the files catches up; a worker that never held the pinned set runs
 * with its own and the capture says so.
 */
describe('ChunkProcessor + IntelIndexSource: one indicator set per capture', () => {
  let db: TestDatabase;
  let dataDir: string;
  let pcap: string;
  const ipFeed = { name: 'test-ips', path: 'ips.txt', type: 'ip' };
  const domainFeed = { name: 'test-domains', path: 'domains.txt', type: 'domain', severity: 'critical' };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-chunk-intel-'));
    pcap = join(dataDir, 'intel.pcap');
    writeFileSync(pcap, scenarioPcap());
    writeFileSync(join(dataDir, 'ips.txt'), IP_LIST);
    writeFileSync(join(dataDir, 'domains.txt'), DOMAIN_LIST);
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const feedsFile = () => join(dataDir, 'intel-feeds.json');
  function setFeeds(feeds: object[]): void {
    writeFileSync(feedsFile(), JSON.stringify({ feeds }));
  }

  function processor(intel: IntelIndexSource): ChunkProcessor {
    return new ChunkProcessor({
      dataSource: db.dataSource,
      dataDir,
      cipher: new StateCipher('unit-secret-0123456789abcdef0123456789'),
      intel,
    });
  }

  /** What `analyze` finds with exactly these feeds (loaded the way the CLI loads them). */
  async function expected(id: string, feeds: object[]): Promise<Finding[]> {
    const load = loadIntel(validateFeeds({ feeds }), new FeedCache(join(dataDir, 'intel-cache')), feedsFile());
    const r = await analyzeCapture(pcap, 'intel.pcap', {
      config: resolveConfig(),
      captureId: id,
      resources: { intel: load.index },
    });
    return r.findings;
  }

  async function row(id: string): Promise<CaptureEntity> {
    return db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id });
  }

  const intelKeys = (fs: Finding[]) =>
    fs.filter((f) => f.detector === 'threat-intel').map((f) => `${f.type} ${f.title} ${JSON.stringify(f.evidence)}`);

  it('a feed added after the first chunk does not reach the capture; the next capture gets it', async () => {
    setFeeds([ipFeed]);
    const worker = new IntelIndexSource(dataDir);
    const v1 = worker.version;
    const c = await recordCapture(db.dataSource, dataDir, pcap, 'intel.pcap', 5);
    expect(c.ingest.chunks.length).toBe(4);
    const p = processor(worker);
    await p.processChunk(c.id, 0, 'unit');
    expect((await row(c.id)).intelVersion).toBe(v1);

    setFeeds([ipFeed, domainFeed]);
    expect(worker.check()).toBe(true);
    const v2 = worker.version;
    expect(v2).not.toBe(v1);
    for (let seq = 1; seq < 4; seq++) await p.processChunk(c.id, seq, 'unit');

    const done = await row(c.id);
    expect([done.status, done.intelVersion, done.errors]).toEqual(['done', v1, []]);
    const stored = await storedFindings(db.dataSource, c.id);
    expect(stored).toEqual(await expected(c.id, [ipFeed]));
    // Only the IP feed's hits: the domain (on later chunks' DNS/TLS frames) is not matched.
    expect(intelKeys(stored).join('\n')).toContain(BAD_IP.ip);
    expect(intelKeys(stored).join('\n')).not.toContain(BAD_DOMAIN);

    // A capture started now is pinned to the new set and gets the domain hits too.
    const d = await recordCapture(db.dataSource, dataDir, pcap, 'intel.pcap', 5);
    for (let seq = 0; seq < 4; seq++) await p.processChunk(d.id, seq, 'unit');
    expect((await row(d.id)).intelVersion).toBe(v2);
    const storedD = await storedFindings(db.dataSource, d.id);
    expect(storedD).toEqual(await expected(d.id, [ipFeed, domainFeed]));
    expect(intelKeys(storedD).join('\n')).toContain(BAD_DOMAIN);
  });

  it('a worker behind the files reloads to the pinned set; one that never held it says so on the capture', async () => {
    setFeeds([ipFeed]);
    const behind = new IntelIndexSource(dataDir);
    const v1 = behind.version;
    setFeeds([ipFeed, domainFeed]);
    const ahead = new IntelIndexSource(dataDir);
    const v2 = ahead.version;

    // Pinned to v2 by the first worker; the second is still at v1 (its timer has not fired).
    const c = await recordCapture(db.dataSource, dataDir, pcap, 'intel.pcap', 5);
    await processor(ahead).processChunk(c.id, 0, 'unit');
    for (let seq = 1; seq < 4; seq++) await processor(behind).processChunk(c.id, seq, 'unit');
    expect(behind.version).toBe(v2);
    const okRow = await row(c.id);
    expect([okRow.intelVersion, okRow.errors]).toEqual([v2, []]);
    expect(await storedFindings(db.dataSource, c.id)).toEqual(await expected(c.id, [ipFeed, domainFeed]));

    // Pinned to v1; the files then move to v2 and a worker that starts now only knows v2.
    setFeeds([ipFeed]);
    const first = new IntelIndexSource(dataDir);
    expect(first.version).toBe(v1);
    const d = await recordCapture(db.dataSource, dataDir, pcap, 'intel.pcap', 5);
    await processor(first).processChunk(d.id, 0, 'unit');
    setFeeds([ipFeed, domainFeed]);
    const late = new IntelIndexSource(dataDir);
    for (let seq = 1; seq < 4; seq++) await processor(late).processChunk(d.id, seq, 'unit');
    const switched = await row(d.id);
    expect([switched.status, switched.intelVersion, switched.errors]).toEqual([
      'done',
      v2,
      [
        {
          offset: -1,
          message: `threat intel: indicator set ${v1} was no longer available; chunk 1 and later used ${v2}`,
        },
      ],
    ]);
  });
});
