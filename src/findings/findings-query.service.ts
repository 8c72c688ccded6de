import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import type { Finding } from '../engine/finding';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import type { AlertsQuery, AlertSort } from './alerts-query';
import type { EvidenceChunk } from './evidence-pcap';
import { FindingEntity } from './finding.entity';

export interface AlertsPage {
  items: Finding[];
  page: number;
  limit: number;
  total: number;
}

/**
 * Reads findings for the API with the TypeORM query builder and bound parameters only (packet
 * strings are attacker-controlled). The default order is the engine's: first seen, then the sort
 * key (detector + NUL + key as UTF-16BE bytes) — exactly `analyze --json`'s order within a
 * capture; capture id and finding id end every order so paging is stable across captures too.
 */
@Injectable()
export class FindingsQueryService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async list(q: AlertsQuery): Promise<AlertsPage> {
    const qb = this.ds.getRepository(FindingEntity).createQueryBuilder('f');
    applyFilters(qb, q);
    const total = await qb.getCount();
    applyOrder(qb, q.sort);
    const rows = await qb
      .select(['f.id', 'f.doc'])
      .offset((q.page - 1) * q.limit)
      .limit(q.limit)
      .getMany();
    return { items: rows.map((r) => r.doc), page: q.page, limit: q.limit, total };
  }

  async one(id: string): Promise<{ doc: Finding; captureId: string } | null> {
    const row = await this.ds
      .getRepository(FindingEntity)
      .createQueryBuilder('f')
      .select(['f.id', 'f.captureId', 'f.doc'])
      .where('f.id = :id', { id })
      .getOne();
    return row === null ? null : { doc: row.doc, captureId: row.captureId };
  }

  /** The capture's chunks in order: where its global frame numbers live on disk. */
  async chunks(captureId: string): Promise<EvidenceChunk[]> {
    return this.ds
      .getRepository(CaptureChunkEntity)
      .createQueryBuilder('c')
      .select(['c.captureId', 'c.seq', 'c.file', 'c.firstFrame', 'c.packets'])
      .where('c.captureId = :captureId', { captureId })
      .orderBy('c.seq', 'ASC')
      .getMany();
  }
}

function applyFilters(qb: SelectQueryBuilder<FindingEntity>, q: AlertsQuery): void {
  if (q.captureId !== null) qb.andWhere('f.captureId = :captureId', { captureId: q.captureId });
  if (q.severities !== null) qb.andWhere('f.severity IN (:...severities)', { severities: q.severities });
  if (q.minSeverityRank !== null) qb.andWhere('f.severityRank >= :minRank', { minRank: q.minSeverityRank });
  if (q.detectors !== null) qb.andWhere('f.detector IN (:...detectors)', { detectors: q.detectors });
  if (q.type !== null) qb.andWhere('f.type = :type', { type: q.type });
  if (q.host !== null) qb.andWhere('(f.srcIp = :host OR f.dstIp = :host)', { host: q.host });
  // Overlap: the finding was active at some moment of [from, to].
  if (q.from !== null) qb.andWhere('f.lastSeen >= CAST(:from AS timestamptz)', { from: q.from });
  if (q.to !== null) qb.andWhere('f.firstSeen <= CAST(:to AS timestamptz)', { to: q.to });
}

function applyOrder(qb: SelectQueryBuilder<FindingEntity>, sort: AlertSort): void {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  const dir = desc ? 'DESC' : 'ASC';
  if (field === 'firstSeen') {
    // -firstSeen is the default order reversed, tie-breaks included.
    qb.orderBy('f.firstSeen', dir).addOrderBy('f.sortKey', dir).addOrderBy('f.captureId', dir).addOrderBy('f.id', dir);
    return;
  }
  const column = field === 'severity' ? 'f.severityRank' : field === 'count' ? 'f.count' : 'f.lastSeen';
  qb.orderBy(column, dir)
    .addOrderBy('f.firstSeen', 'ASC')
    .addOrderBy('f.sortKey', 'ASC')
    .addOrderBy('f.captureId', 'ASC')
    .addOrderBy('f.id', 'ASC');
}
