import { isIP } from 'node:net';
import { BadRequestException } from '@nestjs/common';

/**
 * The query-string checks every listing route shares (/alerts, /data, /network_stats,
 * /captures): one wording for each refusal — `name: reason` — and one reading of ids, integers
 * and times, so a value accepted by one route means the same on another. There is no
 * class-validator in the project: each parser checks by hand and answers 400 naming the parameter,
 * echoing at most a short, printable, quoted cut of what was sent.
 */
export class QueryParamError extends BadRequestException {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Capture and key ids are PostgreSQL uuids (any version). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** A value echoed back in a message: printable, at most 64 characters, JSON-quoted. */
export function shownValue(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 64)}…` : printable);
}

export function rejectUnknownParams(query: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(query))
    if (!known.includes(k))
      throw new QueryParamError(`unknown query parameter ${shownValue(k)} (known: ${known.join(', ')})`);
}

/** One value per parameter: a repeated one (`?a=1&a=2`, an array from express) is refused. */
export function singleParam(query: Record<string, unknown>, name: string): string | null {
  const v = query[name];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new QueryParamError(`${name}: must be given once, as a plain value`);
  return v;
}

/** A decimal integer in [min, max]; absent or empty → fallback. */
export function intParam(raw: string | null, name: string, fallback: number, min: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new QueryParamError(`${name}: must be an integer from ${min} to ${max}`);
  return Number(raw);
}

export function uuidParam(raw: string | null, name: string): string | null {
  if (raw === null || raw === '') return null;
  if (!isUuid(raw)) throw new QueryParamError(`${name}: not a UUID`);
  return raw.toLowerCase();
}

/** A date, or a date and time with an explicit zone (a zone-less time would depend on the server's). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/** Real calendar fields: Date.parse rolls 02-31 over to March, PostgreSQL would refuse it (a 500). */
function realFields(raw: string): boolean {
  const [y, mo, d, h = 0, mi = 0, s = 0] = (raw.match(/\d+/g) ?? []).slice(0, 6).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  return (
    day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && s < 60
  );
}

/**
 * PostgreSQL refuses a UTC offset of 16 hours or more ("time zone displacement out of range");
 * real zones stay within ±14:00, so ±15:59 keeps everything it takes.
 */
const MAX_OFFSET_HOURS = 15;

/**
 * The instants a time filter may name, in UTC. Packet times start at the epoch (pcap counts from
 * it) and a year beyond 9999 is one PostgreSQL reads but the driver writes as `+010000-…`, which
 * it then refuses; both ends are inclusive.
 */
export const EARLIEST_TIME_MS = Date.UTC(1970, 0, 1);
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function inTimeRange(ms: number): boolean {
  return ms >= EARLIEST_TIME_MS && ms <= LATEST_TIME_MS;
}

const TIME_RANGE = 'from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z';

/**
 * A point in (packet) time as ISO-8601 text: a date and time with a zone, a bare date (midnight
 * UTC), or — with `epochSeconds` — seconds since the epoch. Within TIME_RANGE once the offset is
 * applied, so whatever passes here PostgreSQL takes.
 */
export function timeParam(given: string, name: string, opts: { epochSeconds?: boolean } = {}): string {
  if (opts.epochSeconds && /^\d{1,12}(\.\d{1,9})?$/.test(given)) {
    const ms = Number(given) * 1000;
    if (!inTimeRange(ms)) throw new QueryParamError(`${name}: out of range (${TIME_RANGE})`);
    return new Date(ms).toISOString();
  }
  // An unencoded `+02:00` arrives as ` 02:00` (a + in a query string is a space): take it as meant.
  const raw = given.replace(/ (\d{2}:\d{2})$/, '+$1');
  const iso = raw.length === 10 ? `${raw}T00:00:00Z` : raw;
  const m = ISO_TIME.exec(raw);
  if (m === null || !realFields(raw) || Number.isNaN(Date.parse(iso)))
    throw new QueryParamError(
      `${name}: not an ISO-8601 time with a zone (e.g. 2024-05-01T12:00:00Z)${opts.epochSeconds ? ' or seconds since the epoch' : ''}`,
    );
  if (m[5] !== undefined && (Number(m[5]) > MAX_OFFSET_HOURS || Number(m[6]) > 59))
    throw new QueryParamError(`${name}: the UTC offset must be within ±15:59`);
  if (!inTimeRange(Date.parse(iso))) throw new QueryParamError(`${name}: out of range (${TIME_RANGE})`);
  return iso;
}

/**
 * An IPv4 or IPv6 address as the database compares it: Node's isIP also takes an IPv6 zone id
 * (`fe80::1%eth0`), which is no address PostgreSQL (or a packet) has.
 */
export function ipParam(raw: string | null, name: string): string | null {
  if (raw === null || raw === '') return null;
  if (isIP(raw) === 0 || raw.includes('%')) throw new QueryParamError(`${name}: not an IPv4 or IPv6 address`);
  return raw;
}
