import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SEVERITIES, type Severity } from '../engine/finding';
import type { StatsQuery } from './traffic-params';

export interface PacketsBytesTotal {
  packets: number;
  bytes: number;
}

export interface NetworkStats {
  capture: string | null;
  from: string | null;
  to: string | null;
  totals: PacketsBytesTotal & { flows: number; hosts: number; firstSeen: string | null; lastSeen: string | null };
  protocols: Record<string, PacketsBytesTotal>;
  apps: Record<string, PacketsBytesTotal>;
  topTalkers: Array<{
    ip: string;
    internal: boolean;
    packets: number;
    bytes: number;
    bytesSent: number;
    bytesReceived: number;
  }>;
  findingsBySeverity: Record<Severity, number>;
  overTime: Array<{ minute: string; packets: number; bytes: number }>;
}

const TOP_TALKERS = 10;

/**
 * GET /network_stats from the summary tables: packets/bytes (wire bytes) and protocol mix from
 * the minute buckets, flows/hosts and top talkers from their tables (hosts summed per address),
 * findings per severity. `from`/`to` select buckets by minute and rows whose time span overlaps.
 * All SQL below is fixed text with numbered parameters.
 */
@Injectable()
export class NetworkStatsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async stats(q: StatsQuery): Promise<NetworkStats> {
    const params: unknown[] = [q.capture, q.from?.toISOString() ?? null, q.to?.toISOString() ?? null];
    const cap = `($1::uuid IS NULL OR "captureId" = $1::uuid)`;
    // A minute bucket belongs to the range when its minute overlaps it.
    const bucketRange = `($2::timestamptz IS NULL OR "minute" > $2::timestamptz - interval '1 minute') AND ($3::timestamptz IS NULL OR "minute" <= $3::timestamptz)`;
    const spanRange = `($2::timestamptz IS NULL OR "lastSeen" >= $2::timestamptz) AND ($3::timestamptz IS NULL OR "firstSeen" <= $3::timestamptz)`;
    const num = (v: unknown) => Number(v ?? 0);

    const [totals] = (await this.db.query(
      `SELECT coalesce(sum(packets), 0) AS packets, coalesce(sum(bytes), 0) AS bytes FROM traffic_buckets WHERE ${cap} AND ${bucketRange}`,
      params,
    )) as Array<{ packets: string; bytes: string }>;
    const [flows] = (await this.db.query(
      `SELECT count(*) AS n FROM flows WHERE ${cap} AND ${spanRange}`,
      params,
    )) as Array<{ n: string }>;
    const [hosts] = (await this.db.query(
      `SELECT count(DISTINCT ip) AS n, min("firstSeen") AS first, max("lastSeen") AS last FROM hosts WHERE ${cap} AND ${spanRange}`,
      params,
    )) as Array<{ n: string; first: Date | null; last: Date | null }>;
    const [seen] = (await this.db.query(
      `SELECT min("firstSeen") AS first, max("lastSeen") AS last FROM captures WHERE ($1::uuid IS NULL OR id = $1::uuid)`,
      [q.capture],
    )) as Array<{ first: Date | null; last: Date | null }>;
    const mix = async (column: 'protocols' | 'apps') => {
      const rows = (await this.db.query(
        `SELECT e.key AS name, sum((e.value->>'packets')::bigint) AS packets, sum((e.value->>'bytes')::bigint) AS bytes
         FROM traffic_buckets b, jsonb_each(b."${column}") e WHERE ${cap.replace('"captureId"', 'b."captureId"')} AND ${bucketRange.replace(/"minute"/g, 'b."minute"')}
         GROUP BY e.key ORDER BY e.key`,
        params,
      )) as Array<{ name: string; packets: string; bytes: string }>;
      return Object.fromEntries(rows.map((r) => [r.name, { packets: num(r.packets), bytes: num(r.bytes) }]));
    };
    const talkers = (await this.db.query(
      `SELECT ip, bool_or(internal) AS internal, sum("packetsSent" + "packetsReceived") AS packets, sum(bytes) AS bytes,
              sum("bytesSent") AS sent, sum("bytesReceived") AS received
       FROM hosts WHERE ${cap} AND ${spanRange} GROUP BY ip ORDER BY sum(bytes) DESC, ip ASC LIMIT ${TOP_TALKERS}`,
      params,
    )) as Array<{ ip: string; internal: boolean; packets: string; bytes: string; sent: string; received: string }>;
    const severities = (await this.db.query(
      `SELECT severity, count(*) AS n FROM findings WHERE ${cap} AND ${spanRange} GROUP BY severity`,
      params,
    )) as Array<{ severity: Severity; n: string }>;
    const overTime = (await this.db.query(
      `SELECT "minute", sum(packets) AS packets, sum(bytes) AS bytes FROM traffic_buckets WHERE ${cap} AND ${bucketRange}
       GROUP BY "minute" ORDER BY "minute"`,
      params,
    )) as Array<{ minute: Date; packets: string; bytes: string }>;

    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const r of severities) bySeverity[r.severity] = num(r.n);
    const first = seen.first ?? hosts.first;
    const last = seen.last ?? hosts.last;
    return {
      capture: q.capture,
      from: q.from?.toISOString() ?? null,
      to: q.to?.toISOString() ?? null,
      totals: {
        packets: num(totals.packets),
        bytes: num(totals.bytes),
        flows: num(flows.n),
        hosts: num(hosts.n),
        firstSeen: first ? new Date(first).toISOString() : null,
        lastSeen: last ? new Date(last).toISOString() : null,
      },
      protocols: await mix('protocols'),
      apps: await mix('apps'),
      topTalkers: talkers.map((t) => ({
        ip: t.ip,
        internal: t.internal,
        packets: num(t.packets),
        bytes: num(t.bytes),
        bytesSent: num(t.sent),
        bytesReceived: num(t.received),
      })),
      findingsBySeverity: bySeverity,
      overTime: overTime.map((b) => ({
        minute: new Date(b.minute).toISOString(),
        packets: num(b.packets),
        bytes: num(b.bytes),
      })),
    };
  }
}
