import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BaselineFileStore } from '../baseline/baseline-file.store';
import { ingestCapture } from '../captures/capture-ingest';
import { newPacketRecord } from '../engine/capture/packet-record';
import { PcapWriter } from '../engine/capture/pcap.writer';
import { emptyBaselineModel } from '../engine/baseline/baseline-model';
import { synthPcap } from '../engine/capture/synthetic-captures';
import { FeedCache } from '../intel/feed-cache';
import { writeChunkFile } from '../live/chunk-file';
import { LiveChunkCutter } from '../live/live-chunk-cutter';
import { permissionBits, tightenPrivateDir } from './private-modes';
import { secureDataDir } from './secure-data-dir';

/**
 * Every writer of the data directory (and of files holding captured data elsewhere) under the
 * umask most systems run with, 022, which would leave files 0644 and directories 0755 —
 * readable by every user of the host — if a mode were not given explicitly.
 */

/** "path mode" for everything below root (root itself included as "."), sorted. */
function modesUnder(root: string): string[] {
  const out = [`. ${permissionBits(root).toString(8)}`];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(`${r} ${(statSync(p).mode & 0o777).toString(8)}`);
      if (e.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
  return out.sort();
}

const packet = (n: number) => ({ tsSec: 1_700_000_000 + n, tsFrac: 0, data: Buffer.alloc(60, n) });

describe('files and directories netwarden writes are private whatever the umask', () => {
  let savedUmask: number;
  let root: string;

  beforeAll(() => {
    savedUmask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(savedUmask);
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nw-modes-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('the umask really is 022 here (files made without a mode come out 0644)', () => {
    mkdirSync(join(root, 'plain'));
    expect(permissionBits(join(root, 'plain'))).toBe(0o755);
  });

  it('upload ingest: the capture directory (and its missing parents) 0700, chunk files 0600', async () => {
    const pcap = synthPcap({ linkType: 1 }, [packet(1), packet(2), packet(3)]);
    const dir = join(root, 'data', 'captures', 'c1');
    const got = await ingestCapture(Readable.from([pcap]), {
      dir,
      source: 'x.pcap',
      maxBytes: 1 << 20,
      chunkMaxBytes: 1 << 20,
      chunkMaxPackets: 2,
    });
    expect(got.chunks.length).toBe(2);
    expect(modesUnder(join(root, 'data'))).toEqual([
      '. 700',
      'captures 700',
      'captures/c1 700',
      'captures/c1/000000.pcap 600',
      'captures/c1/000001.pcap 600',
    ]);
  });

  it('live capture: the chunks the cutter cuts, written by the capture process writer, are 0600', () => {
    const dir = join(root, 'live');
    mkdirSync(dir, { mode: 0o700 });
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 65535,
      maxPackets: 1,
      maxBytes: 1 << 20,
      maxMs: 60_000,
      onChunk: (c) => writeChunkFile(dir, `${c.seq}.pcap`, c.parts),
    });
    const rec = { ...newPacketRecord(), linkType: 1, tsSec: 1, capLen: 60, origLen: 60, buf: Buffer.alloc(60, 7) };
    cutter.push(rec, 0);
    cutter.push(rec, 0);
    cutter.flush(true);
    expect(modesUnder(dir)).toEqual(['. 700', '0.pcap 600', '1.pcap 600']);
  });

  it('a pcap written to a file by PcapWriter is 0600', async () => {
    const file = join(root, 'evidence.pcap');
    const w = new PcapWriter(file, { linkType: 1 });
    w.write({ tsSec: 1, tsNsec: 0, data: Buffer.alloc(60) });
    await w.close();
    expect(permissionBits(file)).toBe(0o600);
  });

  it('intel feed cache: the directory 0700, the copy and its metadata 0600 (no temporary file left)', () => {
    const cache = new FeedCache(join(root, 'intel-cache'));
    cache.writeData('feed-a', Buffer.from('10.0.0.1\n'));
    cache.writeMeta({ name: 'feed-a', source: 'http://127.0.0.1/x' });
    expect(modesUnder(cache.dir)).toEqual(['. 700', 'feed-a.data 600', 'feed-a.meta.json 600']);
  });

  it('a baseline file written by the CLI is 0600, also when it replaces a 0644 one', async () => {
    const file = join(root, 'lab.json');
    const store = new BaselineFileStore(file);
    await store.save(emptyBaselineModel('lab'));
    expect(permissionBits(file)).toBe(0o600);
    chmodSync(file, 0o644);
    await store.save(emptyBaselineModel('lab'));
    expect(modesUnder(root)).toEqual(['. 700', 'lab.json 600']);
  });

  it('start-up tightens a looser existing data directory once, and says so once', () => {
    const dir = join(root, 'data');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const lines: string[] = [];
    secureDataDir(dir, (l) => lines.push(l));
    secureDataDir(dir, (l) => lines.push(l));
    expect(permissionBits(dir)).toBe(0o700);
    expect(lines).toEqual([`data directory ${dir} was 0755: now 0700 (it holds raw packets)`]);
    // A missing one is created private, silently.
    const fresh = join(root, 'new', 'data');
    secureDataDir(fresh, (l) => lines.push(l));
    expect([permissionBits(join(root, 'new')), permissionBits(fresh), lines.length]).toEqual([0o700, 0o700, 1]);
    expect(tightenPrivateDir(fresh)).toBeNull();
  });
});
