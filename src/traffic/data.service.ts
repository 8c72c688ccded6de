import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { CaptureEntity } from '../captures/capture.entity';
import { CredentialEntity } from './credential.entity';
import { FlowEntity } from './flow.entity';
import { HostEntity } from './host.entity';
import { TlsServerEntity } from './tls-server.entity';
import type { DataKind, DataQuery } from './traffic-params';

export interface DataPage {
  capture: string | null;
  kind: DataKind;
  page: number;
  limit: number;
  total: number;
  items: Array<Record<string, unknown>>;
}

interface KindSpec {
  entity: EntityTarget<ObjectLiteral>;
  /** Columns `ip=` matches. */
  ipColumns: readonly string[];
  /** Tie-break after the requested sort: the natural key, so pages never overlap. */
  key: readonly string[];
}

const KINDS: Record<DataKind, KindSpec> = {
  flows: { entity: FlowEntity, ipColumns: ['clientIp', 'serverIp'], key: ['captureId', 'firstFrame'] },
  hosts: { entity: HostEntity, ipColumns: ['ip'], key: ['captureId', 'ip', 'firstFrame'] },
  tls: { entity: TlsServerEntity, ipColumns: ['serverIp'], key: ['captureId', 'id'] },
  credentials: { entity: CredentialEntity, ipColumns: ['clientIp', 'serverIp'], key: ['captureId', 'findingId'] },
};

/** Paged rows of one summary table (flows, hosts, TLS servers, credentials) for GET /data. */
@Injectable()
export class DataService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async assertCapture(id: string | null): Promise<void> {
    if (id !== null && !(await this.db.getRepository(CaptureEntity).exists({ where: { id } })))
      throw new NotFoundException(`no capture ${id}`);
  }

  async page(q: DataQuery): Promise<DataPage> {
    await this.assertCapture(q.capture);
    const spec = KINDS[q.kind];
    const qb = this.db.getRepository(spec.entity).createQueryBuilder('r');
    if (q.capture !== null) qb.andWhere('r.captureId = :capture', { capture: q.capture });
    if (q.ip !== null) qb.andWhere(`(${spec.ipColumns.map((c) => `r.${c} = :ip`).join(' OR ')})`, { ip: q.ip });
    // The sort field comes from the SORT_FIELDS whitelist (traffic-params.ts), never from the request text.
    qb.orderBy(`r.${q.sort.field}`, q.sort.desc ? 'DESC' : 'ASC');
    for (const k of spec.key) if (k !== q.sort.field) qb.addOrderBy(`r.${k}`, 'ASC');
    qb.skip((q.page - 1) * q.limit).take(q.limit);
    const [rows, total] = await qb.getManyAndCount();
    return {
      capture: q.capture,
      kind: q.kind,
      page: q.page,
      limit: q.limit,
      total,
      items: rows.map((r) => plain(r)),
    };
  }
}

/** Entity → JSON: dates as ISO-8601, the relation left out. */
function plain(r: ObjectLiteral): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (k === 'capture') continue;
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}
