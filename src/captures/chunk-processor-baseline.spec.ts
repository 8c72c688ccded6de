import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCapture, storedFindings } from '../../test/support/capture-fixtures';
import { addedHostAndService, timelinePcap } from '../../test/support/scenarios/baseline.scenario';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { BaselinePgStore } from '../baseline/baseline-pg.store';
import { analyzeCapture } from '../engine/analyze-capture';
import { emptyBaselineModel, normalizeBaselineModel, type BaselineModel } from '../engine/baseline/baseline-model';
import { baselineSession, type BaselineMode } from '../engine/baseline/baseline-session';
import { resolveConfig } from '../engine/config';
import type { Finding } from '../engine/finding';
import { BaselineBusyError } from './capture-baseline';
import { CaptureEntity } from './capture.entity';
import { ChunkProcessor } from './chunk-processor';
import { StateCipher } from './state-cipher';

/**
 * Baselines through the workers' ChunkProcessor (real PostgreSQL): the model a capture compares
 * with is the one stored when its first chunk ran — a save by another capture between its chunks
 * changes nothing for it — and a capture whose model moved on under it does not overwrite the
 * newer one (it says so instead).
 */
describe('ChunkProcessor + baselines table', () => {
  let db: TestDatabase;
  let dataDir: string;
  let LEARN: string;
  let DETECT: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'nw-chunk-baseline-'));
    const { learn, detect } = addedHostAndService();
    LEARN = join(dataDir, 'learn.pcap');
    DETECT = join(dataDir, 'detect.pcap');
    writeFileSync(LEARN, timelinePcap(learn));
    writeFileSync(DETECT, timelinePcap(detect));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const processor = () =>
    new ChunkProcessor({
      dataSource: db.dataSource,
      dataDir,
      cipher: new StateCipher('unit-secret-0123456789abcdef0123456789'),
    });

  async function capture(file: string, network: string, mode: BaselineMode): Promise<{ id: string; chunks: number }> {
    const c = await recordCapture(db.dataSource, dataDir, file, 'x.pcap', 5);
    await db.dataSource
      .getRepository(CaptureEntity)
      .update({ id: c.id }, { baselineNetwork: network, baselineMode: mode });
    return { id: c.id, chunks: c.ingest.chunks.length };
  }

  /** analyze with an in-memory baseline: findings and the learned model. */
  async function engine(file: string, id: string, mode: BaselineMode, model: BaselineModel) {
    const session = baselineSession(mode, model);
    const r = await analyzeCapture(file, 'x.pcap', {
      config: resolveConfig(),
      captureId: id,
      resources: { baseline: session },
    });
    return { findings: r.findings, learned: session.learned };
  }

  const store = () => new BaselinePgStore(db.dataSource.manager);
  const baselineTypes = (fs: Finding[]) => fs.filter((f) => f.detector === 'network-baseline').map((f) => f.type);

  it('detect keeps the model of its first chunk though another capture saves a newer one mid-way', async () => {
    const learnRun = await engine(LEARN, 'l', 'learn', emptyBaselineModel('lab'));
    await store().save(learnRun.learned!);
    const d = await capture(DETECT, 'lab', 'detect');
    expect(d.chunks).toBeGreaterThan(3);
    const p = processor();
    await p.processChunk(d.id, 0, 'unit');

    // Another capture learns the detect traffic too (the newcomer and SSH become known).
    const both = await engine(DETECT, 'b', 'learn', learnRun.learned!);
    await store().save(both.learned!);
    expect((await store().loadVersioned('lab'))!.version).toBe(2);
    expect(baselineTypes((await engine(DETECT, d.id, 'detect', both.learned!)).findings)).toEqual([]);

    for (let seq = 1; seq < d.chunks; seq++) await p.processChunk(d.id, seq, 'unit');
    const stored = await storedFindings(db.dataSource, d.id);
    expect(stored).toEqual((await engine(DETECT, d.id, 'detect', learnRun.learned!)).findings);
    expect(baselineTypes(stored)).toEqual(['baseline-new-host', 'baseline-new-service']);
  });

  it('learning captures of one network run one after the other: the second starts from the model the first saved', async () => {
    const a = await capture(LEARN, 'office', 'learn');
    const b = await capture(DETECT, 'office', 'learn');
    const p = processor();
    await p.processChunk(a.id, 0, 'unit');
    // A is learning: B's first chunk waits (nothing written for it).
    await expect(p.processChunk(b.id, 0, 'unit')).rejects.toThrow(new BaselineBusyError('office', a.id));
    expect((await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: b.id })).chunksDone).toBe(0);
    for (let seq = 1; seq < a.chunks; seq++) await p.processChunk(a.id, seq, 'unit');
    const afterA = await store().loadVersioned('office');
    const learnedA = (await engine(LEARN, a.id, 'learn', emptyBaselineModel('office'))).learned!;
    expect([afterA!.version, afterA!.model]).toEqual([1, normalizeBaselineModel(learnedA)]);

    for (let seq = 0; seq < b.chunks; seq++) await p.processChunk(b.id, seq, 'unit');
    const rowB = await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: b.id });
    expect([rowB.status, rowB.errors]).toEqual(['done', []]);
    const learnedAB = (await engine(DETECT, b.id, 'learn', learnedA)).learned!;
    const afterB = await store().loadVersioned('office');
    expect([afterB!.version, afterB!.model]).toEqual([2, normalizeBaselineModel(learnedAB)]);
    // Detect captures never wait.
    const d = await capture(DETECT, 'office', 'detect');
    const c = await capture(LEARN, 'office', 'auto');
    await p.processChunk(c.id, 0, 'unit');
    await p.processChunk(d.id, 0, 'unit');
  });

  it('a learned model is not saved over one another writer stored meanwhile (the capture says so)', async () => {
    const c = await capture(LEARN, 'branch', 'learn');
    const p = processor();
    await p.processChunk(c.id, 0, 'unit');
    // Another writer (not a capture of the service) stores a model for the network meanwhile.
    const other = (await engine(DETECT, 'o', 'learn', emptyBaselineModel('branch'))).learned!;
    await store().save(other);
    for (let seq = 1; seq < c.chunks; seq++) await p.processChunk(c.id, seq, 'unit');
    const row = await db.dataSource.getRepository(CaptureEntity).findOneByOrFail({ id: c.id });
    expect([row.status, row.errors]).toEqual([
      'done',
      [
        {
          offset: -1,
          message:
            'baseline branch: another capture saved the model while this one learned (version none → 1); what this capture learned was not saved (upload it again to learn it)',
        },
      ],
    ]);
    expect(await store().loadVersioned('branch')).toEqual({ version: 1, model: normalizeBaselineModel(other) });
  });
});
