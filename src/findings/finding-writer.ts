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
    // Packet times keep their microseconds: a JS Date (what TypeORM turns a value into) has only
    // milliseconds, and findings within one millisecond must still sort as the engine sorts them.
    // So the ISO text goes in as a bound parameter that PostgreSQL casts itself.
    const times: Record<string, string> = {};
    const rows = entries.slice(i, i + BATCH).map(({ sortKey, finding: f }, j) => ({
      id: f.id,
      captureId,
      sortKey: utf16SortKey(sortKey),
      detector: f.detector,
      type: pgText(f.type),
      severity: f.severity,
      severityRank: severityRank(f.severity),
      title: pgText(f.title),
      firstSeen: packetTime(times, `firstSeen${j}`, f.firstSeen),
      lastSeen: packetTime(times, `lastSeen${j}`, f.lastSeen),
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
      .setParameters(times)
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

/** A raw `CAST(:name AS timestamptz)` whose value (the engine's ISO text) is bound, never inlined. */
function packetTime(params: Record<string, string>, name: string, iso: string): () => string {
  params[name] = iso;
  return () => `CAST(:${name} AS timestamptz)`;
}
