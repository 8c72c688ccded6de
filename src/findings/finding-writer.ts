import type { EntityManager } from 'typeorm';
import { bulkUpsert } from '../database/bulk-upsert';
import { severityRank, type Finding } from '../engine/finding';
import { pgText, utf16SortKey } from '../database/pg-text';
import { FindingEntity } from './finding.entity';

/**
 * Upserts findings by their deterministic id (the engine's id: capture + detector + key), so a
 * chunk retried after a crash rewrites the same rows instead of adding copies. Called inside the
 * chunk's transaction, with what Pipeline.takeChangedFindingEntries() returned.
 */
export async function upsertFindings(
  manager: EntityManager,
  captureId: string,
  entries: ReadonlyArray<{ sortKey: string; finding: Finding }>,
): Promise<void> {
  const now = new Date().toISOString();
  // Packet times go in as the engine's ISO text (cast by PostgreSQL to timestamptz): a JS Date
  // has only milliseconds, and findings within one millisecond must still sort as the engine sorts them.
  await bulkUpsert(
    manager,
    FindingEntity,
    ['id'],
    entries.map(({ sortKey, finding: f }) => ({
      id: f.id,
      captureId,
      sortKey: utf16SortKey(sortKey),
      detector: f.detector,
      type: pgText(f.type),
      severity: f.severity,
      severityRank: severityRank(f.severity),
      title: pgText(f.title),
      firstSeen: f.firstSeen,
      lastSeen: f.lastSeen,
      count: f.count,
      srcIp: pgText(f.src?.ip),
      dstIp: pgText(f.dst?.ip),
      doc: f,
      updatedAt: now,
    })),
  );
}
