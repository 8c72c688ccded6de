import type { EntityManager } from 'typeorm';
import type { Finding } from '../engine/finding';
import { FindingEntity } from './finding.entity';

/**
 * A capture's stored findings in exactly the order `analyze` prints them: first seen (to the
 * microsecond: the writer stores the engine's packet time, not a millisecond Date), then the
 * detector + key sort key — the engine's own tie-break.
 */
export async function findingsInEngineOrder(manager: EntityManager, captureId: string): Promise<Finding[]> {
  const rows = await manager
    .getRepository(FindingEntity)
    .createQueryBuilder('f')
    .where('f."captureId" = :captureId', { captureId })
    .orderBy('f."firstSeen"', 'ASC')
    .addOrderBy('f."sortKey"', 'ASC')
    .getMany();
  return rows.map((r) => r.doc);
}
