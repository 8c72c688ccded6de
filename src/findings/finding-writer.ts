import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
  const BATCH = 500; // keeps each statement well under PostgreSQL's 65 535 parameters
  for (let i = 0; i < entries.length; i += BATCH) {
    const rows = entries.slice(i, i + BATCH).map(({ sortKey, finding: f }) => ({
      id: f.id,
      captureId,
      sortKey: utf16SortKey(sortKey),
      detector: f.detector,
      type: pgText(f.type),
      severity: f.severity,
      severityRank: severityRank(f.severity),
      title: pgText(f.title),
      firstSeen: new Date(f.firstSeen),
      lastSeen: new Date(f.lastSeen),
      count: f.count,
      srcIp: pgText(f.src?.ip),
      dstIp: pgText(f.dst?.ip),
      doc: f,
      updatedAt: new Date(),
    }));
    await manager
      .createQueryBuilder()
      .insert()
      .into(FindingEntity)
      .values(rows as QueryDeepPartialEntity<FindingEntity>[])
      .orUpdate(
        [
          'sortKey',
          'detector',
          'type',
          'severity',
          'severityRank',
          'title',
          'firstSeen',
          'lastSeen',
          'count',
          'srcIp',
          'dstIp',
          'doc',
          'updatedAt',
        ],
        ['id'],
      )
      .execute();
  }
}
