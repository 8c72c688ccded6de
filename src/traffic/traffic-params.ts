import { BadRequestException } from '@nestjs/common';
import { isIP } from 'node:net';
import { formatIPv6, parseIPv6 } from '../engine/decode/address';

/**
 * Query-string validation for /data and /network_stats: every parameter is checked by hand
 * (no class-validator in the project) and anything unexpected is a 400 naming the parameter —
 * never echoing more than a short, printable cut of what was sent.
 */
export const DATA_KINDS = ['flows', 'hosts', 'tls', 'credentials'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/** Sortable fields per kind (API name → entity property); the first is the default. */
export const SORT_FIELDS: Record<DataKind, readonly string[]> = {
  flows: ['firstSeen', 'lastSeen', 'bytes', 'packets', 'firstFrame', 'serverPort', 'clientIp', 'serverIp'],
  hosts: ['bytes', 'firstSeen', 'lastSeen', 'ip', 'packetsSent', 'packetsReceived', 'bytesSent', 'bytesReceived'],
  tls: ['firstSeen', 'lastSeen', 'count', 'serverIp', 'serverPort', 'sni'],
  credentials: ['firstSeen', 'lastSeen', 'attempts', 'protocol', 'user', 'clientIp'],
};
/** Default direction of the default sort: hosts by bytes, biggest first; the rest oldest first. */
const DEFAULT_DESC: Record<DataKind, boolean> = { flows: false, hosts: true, tls: false, credentials: false };

export const MAX_LIMIT = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DataQuery {
  capture: string | null;
  kind: DataKind;
  page: number;
  limit: number;
  sort: { field: string; desc: boolean };
  ip: string | null;
}

export interface StatsQuery {
  capture: string | null;
  from: Date | null;
  to: Date | null;
}

type Raw = Record<string, unknown>;

function quoted(v: string): string {
  return JSON.stringify(v.replace(/[^\x20-\x7e]/g, '?').slice(0, 40));
}

function only(q: Raw, allowed: readonly string[]): void {
  for (const k of Object.keys(q))
    if (!allowed.includes(k))
      throw new BadRequestException(`unknown query parameter ${quoted(k)} (allowed: ${allowed.join(', ')})`);
}

function single(q: Raw, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestException(`${name} must be given once, as a plain value`);
  return v;
}

function int(q: Raw, name: string, fallback: number, min: number, max: number): number {
  const v = single(q, name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new BadRequestException(`${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

function capture(q: Raw): string | null {
  const v = single(q, 'capture');
  if (v === undefined || v === '') return null;
  if (!UUID.test(v)) throw new BadRequestException('capture must be a capture id (UUID)');
  return v.toLowerCase();
}

function time(q: Raw, name: string): Date | null {
  const v = single(q, name);
  if (v === undefined || v === '') return null;
  // ISO-8601 date-time (or date), or seconds since the epoch.
  const d = /^\d{1,12}(\.\d+)?$/.test(v)
    ? new Date(Number(v) * 1000)
    : /^\d{4}-\d{2}-\d{2}/.test(v)
      ? new Date(v)
      : null;
  if (d === null || Number.isNaN(d.getTime()))
    throw new BadRequestException(`${name} must be an ISO-8601 time or seconds since the epoch`);
  return d;
}

export function parseDataQuery(q: Raw): DataQuery {
  only(q, ['capture', 'kind', 'page', 'limit', 'sort', 'ip']);
  const kindRaw = single(q, 'kind') ?? 'flows';
  if (!(DATA_KINDS as readonly string[]).includes(kindRaw))
    throw new BadRequestException(`kind must be one of ${DATA_KINDS.join(', ')}`);
  const kind = kindRaw as DataKind;
  const sortRaw = single(q, 'sort');
  let sort = { field: SORT_FIELDS[kind][0], desc: DEFAULT_DESC[kind] };
  if (sortRaw !== undefined && sortRaw !== '') {
    const desc = sortRaw.startsWith('-');
    const field = desc ? sortRaw.slice(1) : sortRaw;
    if (!SORT_FIELDS[kind].includes(field))
      throw new BadRequestException(
        `sort for ${kind} must be one of ${SORT_FIELDS[kind].join(', ')} (prefix - for descending)`,
      );
    sort = { field, desc };
  }
  const ip = single(q, 'ip');
  if (ip !== undefined && ip !== '' && isIP(ip) === 0)
    throw new BadRequestException('ip must be an IPv4 or IPv6 address');
  return {
    capture: capture(q),
    kind,
    page: int(q, 'page', 1, 1, 1_000_000),
    limit: int(q, 'limit', 50, 1, MAX_LIMIT),
    sort,
    ip: ip === undefined || ip === '' ? null : canonicalIp(ip),
  };
}

export function parseStatsQuery(q: Raw): StatsQuery {
  only(q, ['capture', 'from', 'to']);
  const from = time(q, 'from');
  const to = time(q, 'to');
  if (from !== null && to !== null && from > to) throw new BadRequestException('from must not be after to');
  return { capture: capture(q), from, to };
}

/** The engine's text form (IPv6 RFC 5952), so `ip=` matches however the address was written. */
function canonicalIp(ip: string): string {
  if (isIP(ip) === 4) return ip;
  const b = parseIPv6(ip);
  return b === null ? ip.toLowerCase() : formatIPv6(Buffer.from(b), 0);
}
