import type { EntityManager } from 'typeorm';
import type { Finding } from '../engine/finding';
import { FindingEntity } from './finding.entity';

/**
 * A capture's stored findings in exactly the order `analyze` prints them: first seen, then the
 * detector + key sort key. The firstSeen column is a JS Date when written (milliseconds), the
 * engine orders by microseconds: the ISO text in the document breaks ties inside a millisecond
 * (fixed-width ISO text compares like time under the "C" collation; truncation keeps the order).
 */
export async function findingsInEngineOrder(manager: EntityManager, captureId: string): Promise<Finding[]> {
  const rows = await manager
    .getRepository(FindingEntity)
    .createQueryBuilder('f')
    .where('f."captureId" = :captureId', { captureId })
    .orderBy('f."firstSeen"', 'ASC')
    .addOrderBy(`(f.doc->>'firstSeen') COLLATE "C"`, 'ASC')
    .addOrderBy('f."sortKey"', 'ASC')
    .getMany();
  return rows.map((r) => r.doc);
}
