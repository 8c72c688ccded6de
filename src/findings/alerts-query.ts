import { DETECTORS } from '../engine/detectors/registry';
import { isSeverity, severityRank, SEVERITIES, type Severity } from '../engine/finding';
import {
  QueryParamError,
  intParam,
  ipParam,
  rejectUnknownParams,
  shownValue,
  singleParam,
  timeParam,
  uuidParam,
} from '../http/query-params';

/**
 * GET /alerts query parameters, validated into a typed filter. Everything here is a value for a
 * bound SQL parameter (never SQL text): a bad value is refused with a reason (QueryParamError, a
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

const KNOWN = [
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
] as const;

const DETECTOR_IDS = new Set(DETECTORS.map((d) => d.id));

/** A comma list, repeatable (`?severity=low,high` or `?severity=low&severity=high`). */
function list(query: Record<string, unknown>, name: string): string[] | null {
  const v = query[name];
  if (v === undefined) return null;
  const parts = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  if (parts === null) throw new QueryParamError(`${name}: expected a plain value`);
  const items = parts
    .join(',')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new QueryParamError(`${name}: empty list`);
  return [...new Set(items)];
}

function severity(s: string, name: string): Severity {
  if (!isSeverity(s))
    throw new QueryParamError(`${name}: unknown severity ${shownValue(s)} (one of ${SEVERITIES.join(', ')})`);
  return s;
}

export function parseAlertsQuery(query: Record<string, unknown>): AlertsQuery {
  rejectUnknownParams(query, KNOWN);
  const single = (name: string) => singleParam(query, name);
  const capture = uuidParam(single('capture'), 'capture');

  const sev = list(query, 'severity');
  const minSev = single('minSeverity');
  const detectors = list(query, 'detector');
  for (const d of detectors ?? [])
    if (!DETECTOR_IDS.has(d))
      throw new QueryParamError(`detector: unknown detector ${shownValue(d)} (one of ${[...DETECTOR_IDS].join(', ')})`);

  const type = single('type');
  if (type !== null && (type === '' || type.length > 128)) throw new QueryParamError('type: 1 to 128 characters');
  const host = ipParam(single('host'), 'host');

  const fromRaw = single('from');
  const toRaw = single('to');
  const from = fromRaw === null ? null : timeParam(fromRaw, 'from');
  const to = toRaw === null ? null : timeParam(toRaw, 'to');
  if (from !== null && to !== null && Date.parse(from) > Date.parse(to))
    throw new QueryParamError('from: later than to');

  const sortRaw = single('sort') ?? 'firstSeen';
  if (!(ALERT_SORTS as readonly string[]).includes(sortRaw))
    throw new QueryParamError(`sort: one of ${ALERT_SORTS.join(', ')}`);

  return {
    captureId: capture,
    severities: sev === null ? null : sev.map((s) => severity(s, 'severity')),
    minSeverityRank: minSev === null ? null : severityRank(severity(minSev, 'minSeverity')),
    detectors,
    type,
    host,
    from,
    to,
    page: intParam(single('page'), 'page', 1, 1, 1_000_000),
    limit: intParam(single('limit'), 'limit', DEFAULT_ALERTS_LIMIT, 1, MAX_ALERTS_LIMIT),
    sort: sortRaw as AlertSort,
  };
}
