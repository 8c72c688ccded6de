import { isIP } from 'node:net';
import { formatIPv6, parseIPv6 } from '../engine/decode/address';
import {
  QueryParamError,
  intParam,
  ipParam,
  rejectUnknownParams,
  singleParam,
  timeParam,
  uuidParam,
} from '../http/query-params';

/**
 * Query-string validation for /data and /network_stats (the shared checks are in
 * http/query-params.ts): anything unexpected is a 400 naming the parameter.
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

function capture(q: Raw): string | null {
  return uuidParam(singleParam(q, 'capture'), 'capture');
}

/** Packet time: ISO-8601 with a zone, a bare date, or seconds since the epoch. */
function time(q: Raw, name: string): Date | null {
  const v = singleParam(q, name);
  return v === null || v === '' ? null : new Date(timeParam(v, name, { epochSeconds: true }));
}

export function parseDataQuery(q: Raw): DataQuery {
  rejectUnknownParams(q, ['capture', 'kind', 'page', 'limit', 'sort', 'ip']);
  const kindRaw = singleParam(q, 'kind') ?? 'flows';
  if (!(DATA_KINDS as readonly string[]).includes(kindRaw))
    throw new QueryParamError(`kind: one of ${DATA_KINDS.join(', ')}`);
  const kind = kindRaw as DataKind;
  const sortRaw = singleParam(q, 'sort');
  let sort = { field: SORT_FIELDS[kind][0], desc: DEFAULT_DESC[kind] };
  if (sortRaw !== null && sortRaw !== '') {
    const desc = sortRaw.startsWith('-');
    const field = desc ? sortRaw.slice(1) : sortRaw;
    if (!SORT_FIELDS[kind].includes(field))
      throw new QueryParamError(`sort: for ${kind} one of ${SORT_FIELDS[kind].join(', ')} (prefix - for descending)`);
    sort = { field, desc };
  }
  const ip = ipParam(singleParam(q, 'ip'), 'ip');
  return {
    capture: capture(q),
    kind,
    page: intParam(singleParam(q, 'page'), 'page', 1, 1, 1_000_000),
    limit: intParam(singleParam(q, 'limit'), 'limit', 50, 1, MAX_LIMIT),
    sort,
    ip: ip === null ? null : canonicalIp(ip),
  };
}

export function parseStatsQuery(q: Raw): StatsQuery {
  rejectUnknownParams(q, ['capture', 'from', 'to']);
  const from = time(q, 'from');
  const to = time(q, 'to');
  if (from !== null && to !== null && from > to) throw new QueryParamError('from: later than to');
  return { capture: capture(q), from, to };
}

/** The engine's text form (IPv6 RFC 5952), so `ip=` matches however the address was written. */
function canonicalIp(ip: string): string {
  if (isIP(ip) === 4) return ip;
  const b = parseIPv6(ip);
  return b === null ? ip.toLowerCase() : formatIPv6(Buffer.from(b), 0);
}
