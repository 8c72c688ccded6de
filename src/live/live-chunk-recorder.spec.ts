import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineFindings, storedFindings } from '../../test/support/capture-fixtures';
import { SHARED_PCAPS } from '../../test/support/paths';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../../test/support/test-database';
import { chunkFileName } from '../captures/capture-ingest';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import { insertLiveCapture } from '../captures/capture-records';
import { CaptureEntity } from '../captures/capture.entity';
import { ChunkProcessor } from '../captures/chunk-processor';
import { StateCipher } from '../captures/state-cipher';
import { loadSettings } from '../config/settings';
import { readCapture } from '../engine/capture/read-capture';
import { analysisJobId } from '../queue/analysis-queue';
import { AnalysisQueue } from '../queue/analysis-queue.service';
import type { ChunkMessage } from './capture-process-protocol';
import { LiveChunkCutter } from './live-chunk-cutter';
import { LiveChunkRecorder } from './live-chunk-recorder';

/**
 * The live path without an interface: a real capture re-cut by the live cutter, its chunks
 * recorded while the chunk processor runs the ones already there (real PostgreSQL, real BullMQ
 * queue). Each chunk's job must be added exactly when it can run — by the recorder if analysis
 * is waiting for it, by the processor if it was recorded first — and the closing chunk must
 * finish the capture with the findings `analyze` gives for the file.
 */
describe('LiveChunkRecorder with the ChunkProcessor', () => {
  let db: TestDatabase;
  let dataDir: string;
  let queue: AnalysisQueue;
  const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-live-rec-'));
    queue = new AnalysisQueue(loadSettings({ REDIS_PREFIX: testRedisPrefix() }));
  });
  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function liveCapture(): Promise<string> {
    const id = randomUUID();
    await insertLiveCapture(db.dataSource.manager, { id, name: 'live test0' });
    mkdirSync(join(dataDir, 'captures', id), { recursive: true });
    return id;
  }

  /** The file's packets as the capture process would cut them: 5 per chunk, plus the closing one. */
  async function cutFile(id: string): Promise<ChunkMessage[]> {
    const msgs: ChunkMessage[] = [];
    let closing = false;
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 262144,
      maxPackets: 5,
      maxBytes: 1 << 20,
      maxMs: 60_000,
      onChunk: (c) => {
        const name = chunkFileName(c.seq, 'pcap');
        writeFileSync(join(dataDir, 'captures', id, name), Buffer.concat(c.parts));
        msgs.push({
          type: 'chunk',
          seq: c.seq,
          file: name,
          firstFrame: c.firstFrame,
          packets: c.packets,
          fileBytes: c.fileBytes,
          firstTime: c.firstTime,
          lastTime: c.lastTime,
          closing,
        });
      },
    });
    await readCapture(file, { onPacket: (r) => cutter.push(r, 0) });
    closing = true;
    cutter.flush(true);
    return msgs;
  }

  const jobExists = async (id: string, seq: number) => (await queue.queue.getJob(analysisJobId(id, seq))) !== undefined;

  it('enqueues each chunk once, when it can run, and the closing chunk finishes the capture', async () => {
    const id = await liveCapture();
    const msgs = await cutFile(id);
    // The last chunk is the closing one: flush(true) closes with what is open.
    expect(msgs.map((m) => [m.packets, m.closing])).toEqual([
      [5, false],
      [5, false],
      [5, false],
      [5, false],
      [5, false],
      [5, false],
      [3, true],
    ]);
    const enqueued: number[] = [];
    const recorder = new LiveChunkRecorder(db.dataSource, {
      enqueue: async (captureId: string, seq: number) => {
        enqueued.push(seq);
        await queue.enqueue(captureId, seq);
      },
    } as AnalysisQueue);
    const processor = new ChunkProcessor({
      dataSource: db.dataSource,
      dataDir,
      cipher: new StateCipher('unit-secret-0123456789abcdef0123456789'),
      enqueue: async (captureId, seq) => {
        enqueued.push(seq);
        await queue.enqueue(captureId, seq);
      },
    });

    // Analysis waits for chunk 0: the recorder adds its job.
    expect(await recorder.record(id, msgs[0])).toBe(true);
    expect(enqueued).toEqual([0]);
    expect(await jobExists(id, 0)).toBe(true);
    // Chunk 0 runs; chunk 1 is not recorded yet: no next job, the capture stays open.
    expect(await processor.processChunk(id, 0, 'unit')).toMatchObject({ kind: 'processed', next: null, done: false });
    expect(await jobExists(id, 1)).toBe(false);
    // Chunk 1 arrives while analysis waits for it: the recorder adds it.
    await recorder.record(id, msgs[1]);
    expect(enqueued).toEqual([0, 1]);
    // Chunks 2 and 3 arrive while chunk 1 is still queued: not enqueued by the recorder...
    await recorder.record(id, msgs[2]);
    await recorder.record(id, msgs[3]);
    expect(enqueued).toEqual([0, 1]);
    expect(await jobExists(id, 2)).toBe(false);
    // ...but by the processor when chunk 1 (then 2) is done.
    expect(await processor.processChunk(id, 1, 'unit')).toMatchObject({ next: 2, done: false });
    expect(await processor.processChunk(id, 2, 'unit')).toMatchObject({ next: 3, done: false });
    expect(enqueued).toEqual([0, 1, 2, 3]);
    expect(await processor.processChunk(id, 3, 'unit')).toMatchObject({ next: null, done: false });
    for (const m of msgs.slice(4)) await recorder.record(id, m);
    expect(enqueued).toEqual([0, 1, 2, 3, 4]);
    for (let seq = 4; seq < msgs.length; seq++) {
      const r = await processor.processChunk(id, seq, 'unit');
      expect(r).toMatchObject({ kind: 'processed', done: seq === msgs.length - 1 });
    }
    expect(enqueued).toEqual([0, 1, 2, 3, 4, 5, 6]);

    const capture = await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id });
    expect(capture).toMatchObject({ status: 'done', chunksDone: 7, chunksTotal: 7, packets: 33 });
    expect(capture.sizeBytes).toBe(msgs.reduce((n, m) => n + m.fileBytes, 0));
    // The same packets, the same findings as `analyze` on the file (times are the file's here).
    const stored = await storedFindings(db.dataSource, id);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).toEqual(await engineFindings(file, 'live test0', id));
    // A chunk message repeated (the API crashed after recording it): one row, nothing else.
    expect(await recorder.record(id, msgs[6])).toBe(true);
    expect(await db.dataSource.getRepository(CaptureChunkEntity).countBy({ captureId: id })).toBe(7);
  });

  it('prunes only analysed chunk files beyond the retention, newest kept; a deleted capture stops recording', async () => {
    const id = await liveCapture();
    const msgs = await cutFile(id);
    const recorder = new LiveChunkRecorder(db.dataSource, queue);
    const processor = new ChunkProcessor({
      dataSource: db.dataSource,
      dataDir,
      cipher: new StateCipher('unit-secret-0123456789abcdef0123456789'),
    });
    for (const m of msgs.slice(0, 5)) await recorder.record(id, m);
    for (let seq = 0; seq < 4; seq++) await processor.processChunk(id, seq, 'unit');
    const dir = join(dataDir, 'captures', id);
    // Keep the newest analysed chunks up to 2 files' bytes: chunks 0 and 1 go; 4 is not analysed.
    const keep = msgs[2].fileBytes + msgs[3].fileBytes;
    expect(await recorder.prune(id, dir, { bytes: keep, seconds: 0 })).toBe(2);
    expect([0, 1, 2, 3, 4].map((s) => existsSync(join(dir, msgs[s].file)))).toEqual([false, false, true, true, true]);
    const rows = await db.dataSource
      .getRepository(CaptureChunkEntity)
      .find({ where: { captureId: id }, order: { seq: 'ASC' } });
    expect(rows.map((r) => r.prunedAt !== null)).toEqual([true, true, false, false, false]);
    // Age: everything analysed is older than 1 s in an hour's time.
    expect(await recorder.prune(id, dir, { bytes: 1 << 30, seconds: 1 }, new Date(Date.now() + 3600_000))).toBe(2);
    expect(existsSync(join(dir, msgs[4].file))).toBe(true);

    await db.dataSource.getRepository(CaptureEntity).delete({ id });
    expect(await recorder.record(id, msgs[5])).toBe(false);
  });
});
