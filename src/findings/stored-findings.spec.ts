import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SHARED_PCAPS } from '../../test/support/paths';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { insertCapture } from '../captures/capture-records';
import { analyzeCapture } from '../engine/analyze-capture';
import { resolveConfig } from '../engine/config';
import { upsertFindings } from './finding-writer';
import { findingsInEngineOrder } from './stored-findings';

describe('findingsInEngineOrder', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('orders by first seen to the microsecond, then sort key, as the engine does', async () => {
    const id = randomUUID();
    const a = await analyzeCapture(join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap'), 'ftp-login.pcap', {
      config: resolveConfig(),
      captureId: id,
    });
    await insertCapture(db.dataSource.manager, {
      id,
      name: 'ftp-login.pcap',
      source: 'cli',
      ingest: {
        sha256: 'a'.repeat(64),
        sizeBytes: 1,
        receivedBytes: 1,
        gzip: false,
        format: 'pcap',
        chunks: [],
        errors: [],
      },
    });
    // Same millisecond, different microseconds, sort keys in the opposite order: a millisecond
    // column would put "a" first; the engine puts the earlier microsecond first.
    const early = { ...a.findings[0], id: 'e'.repeat(32), firstSeen: '2026-01-01T00:00:00.000100Z' };
    const late = { ...a.findings[0], id: 'f'.repeat(32), firstSeen: '2026-01-01T00:00:00.000900Z' };
    const before = { ...a.findings[0], id: 'd'.repeat(32), firstSeen: '2025-12-31T23:59:59.999999Z' };
    await upsertFindings(db.dataSource.manager, id, [
      { sortKey: 'x\0a', finding: late },
      { sortKey: 'x\0b', finding: early },
      { sortKey: 'x\0c', finding: before },
    ]);
    expect((await findingsInEngineOrder(db.dataSource.manager, id)).map((f) => f.id)).toEqual([
      before.id,
      early.id,
      late.id,
    ]);
  });
});
