import { isIP } from 'node:net';
import { DETECTORS } from '../engine/detectors/registry';
import { isSeverity, severityRank, SEVERITIES, type Severity } from '../engine/finding';

/**
 * GET /alerts query parameters, validated into a typed filter. Everything here is a value for a
 * bound SQL parameter (never SQL text): a bad value is refused with a reason (AlertsQueryError →
 * 400), an unknown parameter too, so a typo (`severty=high`) does not silently return everything.
 */
export const ALERT_SORTS = [
  'firstSeen',
  '-firstSeen',
  'lastSeen',
  '-lastSeen',
  'severity',
  '-severity',
  'count',
  '-count',
] as const;
export type AlertSort = (typeof ALERT_SORTS)[number];

export const MAX_ALERTS_LIMIT = 500;
export const DEFAULT_ALERTS_LIMIT = 100;

export interface AlertsQuery {
  captureId: string | null;
  severities: Severity[] | null;
  minSeverityRank: number | null;
  detectors: string[] | null;
  type: string | null;
  host: string | null;
  /** ISO text, cast by PostgreSQL so microseconds are kept. */
  from: string | null;
  to: string | null;
  page: number;
  limit: number;
  sort: AlertSort;
}

export class AlertsQueryError extends Error {}

const KNOWN = new Set([
  'capture',
  'severity',
  'minSeverity',
  'detector',
  'type',
  'host',
  'from',
  'to',
  'page',
  'limit',
  'sort',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A date, or a date and time with an explicit zone (a zone-less time would depend on the server's). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const DETECTOR_IDS = new Set(DETECTORS.map((d) => d.id));

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** One value per parameter; `?a=1&a=2` (express gives an array) joins as a comma list. */
function single(query: Record<string, unknown>, name: string): string | null {
  const v = query[name];
  if (v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  throw new AlertsQueryError(`${name}: expected a plain value`);
}

function list(raw: string, name: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new AlertsQueryError(`${name}: empty list`);
  return [...new Set(items)];
}

function severity(s: string, name: string): Severity {
  if (!isSeverity(s))
    throw new AlertsQueryError(`${name}: unknown severity ${quote(s)} (one of ${SEVERITIES.join(', ')})`);
  return s;
}

/** Real calendar fields: Date.parse rolls 02-31 over to March, PostgreSQL would refuse it (a 500). */
function realFields(raw: string): boolean {
  const [y, mo, d, h = 0, mi = 0, s = 0] = (raw.match(/\d+/g) ?? []).slice(0, 6).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  return (
    day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && s < 60
  );
}

function time(given: string, name: string): string {
  // An unencoded `+02:00` arrives as ` 02:00` (a + in a query string is a space): take it as meant.
  const raw = given.replace(/ (\d{2}:\d{2})$/, '+$1');
  const iso = raw.length === 10 ? `${raw}T00:00:00Z` : raw; // a bare date is midnight UTC
  if (!ISO_TIME.test(raw) || !realFields(raw) || Number.isNaN(Date.parse(iso)))
    throw new AlertsQueryError(`${name}: not an ISO-8601 time with a zone (e.g. 2024-05-01T12:00:00Z)`);
  return iso;
}

function int(raw: string | null, name: string, fallback: number, min: number, max: number): number {
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new AlertsQueryError(`${name}: must be an integer from ${min} to ${max}`);
  return Number(raw);
}

/** Echoes a bad value back shortened and JSON-quoted, so the message stays one safe line. */
function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

export function parseAlertsQuery(query: Record<string, unknown>): AlertsQuery {
  for (const k of Object.keys(query))
    if (!KNOWN.has(k))
      throw new AlertsQueryError(`unknown query parameter ${quote(k)} (known: ${[...KNOWN].join(', ')})`);

  const capture = single(query, 'capture');
  if (capture !== null && !isUuid(capture)) throw new AlertsQueryError('capture: not a UUID');

  const sev = single(query, 'severity');
  const minSev = single(query, 'minSeverity');
  const det = single(query, 'detector');
  const detectors = det === null ? null : list(det, 'detector');
  for (const d of detectors ?? [])
    if (!DETECTOR_IDS.has(d))
      throw new AlertsQueryError(`detector: unknown detector ${quote(d)} (one of ${[...DETECTOR_IDS].join(', ')})`);

  const type = single(query, 'type');
  if (type !== null && (type === '' || type.length > 128)) throw new AlertsQueryError('type: 1 to 128 characters');
  const host = single(query, 'host');
  if (host !== null && isIP(host) === 0) throw new AlertsQueryError('host: not an IPv4 or IPv6 address');

  const fromRaw = single(query, 'from');
  const toRaw = single(query, 'to');
  const from = fromRaw === null ? null : time(fromRaw, 'from');
  const to = toRaw === null ? null : time(toRaw, 'to');
  if (from !== null && to !== null && Date.parse(from) > Date.parse(to))
    throw new AlertsQueryError('from: later than to');

  const sortRaw = single(query, 'sort') ?? 'firstSeen';
  if (!(ALERT_SORTS as readonly string[]).includes(sortRaw))
    throw new AlertsQueryError(`sort: one of ${ALERT_SORTS.join(', ')}`);

  return {
    captureId: capture === null ? null : capture.toLowerCase(),
    severities: sev === null ? null : list(sev, 'severity').map((s) => severity(s, 'severity')),
    minSeverityRank: minSev === null ? null : severityRank(severity(minSev, 'minSeverity')),
    detectors,
    type,
    host,
    from,
    to,
    page: int(single(query, 'page'), 'page', 1, 1, 1_000_000),
    limit: int(single(query, 'limit'), 'limit', DEFAULT_ALERTS_LIMIT, 1, MAX_ALERTS_LIMIT),
    sort: sortRaw as AlertSort,
  };
}
