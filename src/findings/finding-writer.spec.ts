import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { SHARED_PCAPS } from '../../test/support/paths';
import { CaptureEntity } from '../captures/capture.entity';
import { insertCapture } from '../captures/capture-records';
import { analyzeCapture } from '../engine/analyze-capture';
import { resolveConfig } from '../engine/config';
import { FindingEntity } from './finding.entity';
import { upsertFindings } from './finding-writer';

describe('upsertFindings', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores the engine JSON exactly, once per id, however often a chunk is retried', async () => {
    const id = randomUUID();
    const file = join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap');
    const a = await analyzeCapture(file, 'scan-syn.pcap', { config: resolveConfig(), captureId: id });
    expect(a.findings.length).toBeGreaterThan(0);
    // Packet-derived text may hold NUL (jsonb and text refuse it): it must survive exactly.
    a.findings[0].title += ' \0<evil>';
    a.findings[0].evidence.note = 'a\u0000b';
    await insertCapture(db.dataSource.manager, {
      id,
      name: 'scan-syn.pcap',
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
    const entries = a.findings.map((f, i) => ({
      sortKey: `${f.detector}\0${String(i).padStart(6, '0')}\0${'\u0000x'}`,
      finding: f,
    }));
    await upsertFindings(db.dataSource.manager, id, entries);
    await upsertFindings(db.dataSource.manager, id, entries); // the retry
    const rows = await db.dataSource.getRepository(FindingEntity).find({
      where: { captureId: id },
      order: { firstSeen: 'ASC', sortKey: 'ASC' },
    });
    expect(rows.map((r) => r.doc)).toEqual(a.findings);
    expect(rows.map((r) => r.firstSeen.toISOString().slice(0, 23))).toEqual(
      a.findings.map((f) => f.firstSeen.slice(0, 23)),
    );
    // Microseconds survive (a JS Date would keep only milliseconds): PostgreSQL formats them back.
    const times = await db.dataSource
      .getRepository(FindingEntity)
      .createQueryBuilder('f')
      .select(`to_char(f.firstSeen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'first')
      .addSelect(`to_char(f.lastSeen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'last')
      .where('f.captureId = :id', { id })
      .orderBy('f.firstSeen', 'ASC')
      .addOrderBy('f.sortKey', 'ASC')
      .getRawMany<{ first: string; last: string }>();
    expect(times).toEqual(a.findings.map((f) => ({ first: f.firstSeen, last: f.lastSeen })));
    expect(a.findings.some((f) => !f.firstSeen.endsWith('000Z'))).toBe(true); // the check can fail
    await db.dataSource.getRepository(CaptureEntity).delete({ id });
    expect(await db.dataSource.getRepository(FindingEntity).count()).toBe(0); // cascade
  });
});
