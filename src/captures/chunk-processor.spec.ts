import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineFindings, recordCapture, storedFindings } from '../../test/support/capture-fixtures';
import { SHARED_PCAPS } from '../../test/support/paths';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import type { ServiceEvent } from '../queue/service-events';
import { CaptureChunkEntity } from './capture-chunk.entity';
import { CaptureEntity } from './capture.entity';
import { toCaptureView } from './capture-view';
import { ChunkOrderError, ChunkProcessor } from './chunk-processor';
import { StateCipher } from './state-cipher';

describe('ChunkProcessor', () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-chunks-'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');

  function processor(events: ServiceEvent[] = [], enqueued: number[] = []) {
    return new ChunkProcessor({
      dataSource: db.dataSource,
      dataDir,
      cipher: new StateCipher('unit-secret-0123456789abcdef0123456789'),
      publish: async (e) => {
        events.push(e);
      },
      enqueue: async (_id, seq) => {
        enqueued.push(seq);
      },
    });
  }

  async function captureRow(id: string) {
    return db.dataSource
      .getRepository(CaptureEntity)
      .createQueryBuilder('c')
      .addSelect('c.state')
      .where('c.id = :id', { id })
      .getOneOrFail();
  }

  it('runs chunks in order, a re-delivered chunk changes nothing, the result equals analyze', async () => {
    const c = await recordCapture(db.dataSource, dataDir, file, 'ftp-login.pcap', 7);
    const total = c.ingest.chunks.length;
    expect(total).toBeGreaterThan(3);
    const events: ServiceEvent[] = [];
    const enqueued: number[] = [];
    const p = processor(events, enqueued);

    // Out of order: refused (retried later), nothing written.
    await expect(p.processChunk(c.id, 1, 'unit')).rejects.toThrow(ChunkOrderError);

    const first = await p.processChunk(c.id, 0, 'unit');
    expect(first).toMatchObject({ kind: 'processed', next: 1, packets: 7 });
    const afterFirst = await captureRow(c.id);
    expect(afterFirst.status).toBe('analysing');
    expect(afterFirst.chunksDone).toBe(1);
    // Sealed, never clear text: the FTP password of the capture is not in the column.
    expect(afterFirst.state).not.toBeNull();
    expect(afterFirst.state!.includes(Buffer.from('USER'))).toBe(false);
    const findingsAfterFirst = await storedFindings(db.dataSource, c.id);

    // The same chunk again (a crash after commit, before the ack): skipped, the next re-enqueued.
    const again = await p.processChunk(c.id, 0, 'unit');
    expect(again).toEqual({ kind: 'already', next: 1 });
    const afterAgain = await captureRow(c.id);
    expect(afterAgain.chunksDone).toBe(1);
    expect(afterAgain.state!.equals(afterFirst.state!)).toBe(true);
    expect(await storedFindings(db.dataSource, c.id)).toEqual(findingsAfterFirst);
    expect(enqueued).toEqual([1, 1]);

    for (let seq = 1; seq < total; seq++) await p.processChunk(c.id, seq, 'unit');
    const done = await captureRow(c.id);
    expect(done).toMatchObject({ status: 'done', chunksDone: total, chunksTotal: total, state: null });
    expect(done.packets).toBe(c.ingest.chunks.reduce((n, k) => n + k.packets, 0));
    expect(done.finishedAt).not.toBeNull();
    const stored = await storedFindings(db.dataSource, c.id);
    expect(stored).toEqual(await engineFindings(file, 'ftp-login.pcap', c.id));
    expect(stored.length).toBeGreaterThan(0);
    expect(await p.processChunk(c.id, total - 1, 'unit')).toEqual({ kind: 'already', next: null });
    expect(await storedFindings(db.dataSource, c.id)).toEqual(stored);

    const chunks = await db.dataSource.getRepository(CaptureChunkEntity).findBy({ captureId: c.id });
    expect(chunks.every((k) => k.status === 'done' && k.attempts === 1 && k.worker === 'unit')).toBe(true);
    expect(events.filter((e) => e.type === 'capture.progress')).toHaveLength(total);
    expect(events.filter((e) => e.type === 'capture.done')).toEqual([
      { type: 'capture.done', captureId: c.id, status: 'done', reason: null },
    ]);
    expect(events.some((e) => e.type === 'finding' && e.created)).toBe(true);
  });

  it.each([
    ['clean-web.pcap', 100, 1],
    ['scan-syn.pcap', 400, 6],
  ])(
    '%s in chunks of %d: startedAt is when the first chunk began, finishedAt when the last ended, durationMs between',
    async (name, chunkPackets, chunks) => {
      const c = await recordCapture(db.dataSource, dataDir, join(SHARED_PCAPS, 'attacks', name), name, chunkPackets);
      expect(c.ingest.chunks).toHaveLength(chunks);
      const p = processor();
      const before = Date.now();
      for (const chunk of c.ingest.chunks) await p.processChunk(c.id, chunk.seq, 'unit');
      const after = Date.now();

      const row = await captureRow(c.id);
      const timings = toCaptureView(row).timings;
      const rows = await db.dataSource.getRepository(CaptureChunkEntity).find({
        where: { captureId: c.id },
        order: { seq: 'ASC' },
      });
      const started = Date.parse(timings.startedAt!);
      const finished = Date.parse(timings.finishedAt!);
      expect(started).toBeGreaterThanOrEqual(before);
      // The first chunk's analysis came after startedAt: it ended later (its commit), and it
      // cannot have begun before the worker took the job.
      expect(started).toBeLessThan(rows[0].finishedAt!.getTime());
      expect(finished).toBe(rows[rows.length - 1].finishedAt!.getTime());
      expect(finished).toBeLessThanOrEqual(after);
      expect(timings.durationMs).toBe(finished - started);
      expect(timings.durationMs).toBeGreaterThan(0);
    },
  );

  it('a deleted capture is "gone"; a last failure marks the capture failed with the reason', async () => {
    const c = await recordCapture(db.dataSource, dataDir, file, 'ftp-login.pcap', 7);
    const events: ServiceEvent[] = [];
    const p = processor(events);
    expect(await p.recordFailure(c.id, 0, 'chunk file missing', false)).toBe(false);
    expect((await captureRow(c.id)).status).toBe('queued');
    expect(await p.recordFailure(c.id, 0, 'chunk file missing', true)).toBe(true);
    const row = await captureRow(c.id);
    expect(row).toMatchObject({ status: 'failed', reason: 'chunk 0: chunk file missing' });
    const chunk = await db.dataSource.getRepository(CaptureChunkEntity).findOneByOrFail({ captureId: c.id, seq: 0 });
    expect(chunk).toMatchObject({ attempts: 2, lastError: 'chunk file missing', status: 'pending' });
    expect(events).toEqual([
      { type: 'capture.done', captureId: c.id, status: 'failed', reason: 'chunk 0: chunk file missing' },
    ]);
    expect(await p.processChunk(c.id, 0, 'unit')).toEqual({ kind: 'already', next: null });

    await db.dataSource.getRepository(CaptureEntity).delete({ id: c.id });
    expect(await p.processChunk(c.id, 0, 'unit')).toEqual({ kind: 'gone' });
  });
});
