/**
 * Threat-intelligence feed configuration: the JSON feeds file (`{ "feeds": [FeedConfig, …] }`)
 * the CLI reads with --feeds/--intel and the service keeps in its data directory, and the
 * validation both it and POST /intel/feeds apply. Every field is documented on FeedConfig and in
 * the README; config/intel-feeds.example.json lists well-known public blocklists.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEED_FORMATS, FEED_TYPES, type FeedFormat, type FeedType } from '../engine/intel/feed-format';
import { isSeverity, type Severity } from '../engine/finding';
import { shown } from '../engine/finding-text';
import { PRIVATE_FILE_MODE } from '../storage/private-modes';
import { envRefProblem, redactText, redactUrl, REDACTED, shownHeaderValue, shownHeaders } from './feed-url';

export interface FeedConfig {
  /** Unique id: 1–64 of a-z 0-9 . _ - (starts with a letter or digit); names the cache files. */
  name: string;
  /**
   * Where to fetch it: http:// or https:// (conditional GET, cached), or file:// (read directly).
   * May hold userinfo (sent as Basic auth) and `${env:NETWARDEN_FEED_…}` references (resolved at
   * fetch time, percent-encoded); shown everywhere through redactUrl (feed-url.ts).
   */
  url?: string;
  /** Extra request headers (http(s) only); values may hold `${env:NETWARDEN_FEED_…}` references. Shown as `***` unless only references. */
  headers?: Record<string, string>;
  /** A local file instead of a URL (relative paths are relative to the feeds file). Read directly, never cached. */
  path?: string;
  /** Indicator type of every entry: ip (addresses and CIDRs, IPv4/IPv6; `cidr` is an alias), domain, url. Zeek files name it per line. */
  type: FeedType;
  /** plain (one per line, # and ; comments), csv (see column/header/delimiter), zeek (Intel framework TSV). Default plain. */
  format: FeedFormat;
  /** csv: 1-based column number, or a column name from the header row (needs header: true). Default 1. */
  column?: number | string;
  /** csv: the first non-comment line is a header row. Default false. */
  header?: boolean;
  /** csv: one-character field delimiter. Default ",". */
  delimiter?: string;
  /** Minutes between refreshes in the service (the CLI fetches on demand). Default 60, 5 to 10080 (a week). */
  refreshMinutes: number;
  /** Severity of a hit on this feed. Default high. */
  severity: Severity;
  /** A disabled feed is neither fetched nor matched. Default true. */
  enabled: boolean;
  /** Largest download accepted (bytes); a bigger answer is an error and the last good copy stays. Default 64 MiB, at most 512 MiB. */
  maxBytes: number;
  /** Seconds a fetch may take, body included. Default 60, 1 to 600. */
  timeoutSeconds: number;
  /** Free text for people (at most 300 characters). */
  description?: string;
}

export const FEED_DEFAULTS = {
  format: 'plain' as FeedFormat,
  refreshMinutes: 60,
  severity: 'high' as Severity,
  enabled: true,
  maxBytes: 64 * 1024 * 1024,
  timeoutSeconds: 60,
};
const MAX_BYTES_LIMIT = 512 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KNOWN_KEYS = new Set([
  'name',
  'url',
  'headers',
  'path',
  'type',
  'format',
  'column',
  'header',
  'delimiter',
  'refreshMinutes',
  'severity',
  'enabled',
  'maxBytes',
  'timeoutSeconds',
  'description',
]);

export class FeedConfigError extends Error {}

/** A feeds-file value in an error message. */
function shownValue(v: unknown): string {
  return shown(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)), 60);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Set by the fetcher (or by HTTP itself): a feed cannot override them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'if-none-match',
  'if-modified-since',
]);

/** Checks a URL: http, https or file only, with a host for http(s); `${env:…}` references well formed. */
export function validateFeedUrl(raw: string): string | null {
  const refs = envRefProblem(raw);
  if (refs) return `url: ${refs}`;
  let u: URL;
  try {
    // A reference stands for a value, here a harmless one.
    u = new URL(raw.replace(/\$\{env:[A-Za-z0-9_]*\}/g, 'x'));
  } catch {
    return 'url is not a valid URL';
  }
  if (u.protocol === 'file:') return null;
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `url scheme ${shownValue(u.protocol)} is not http, https or file`;
  if (u.hostname === '') return 'url has no host';
  return null;
}

function headersProblem(h: unknown, isHttp: boolean): string | null {
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return 'headers must be an object of name: value';
  if (!isHttp) return 'headers apply to http and https urls only';
  const entries = Object.entries(h as Record<string, unknown>);
  if (entries.length > 20) return 'headers: at most 20';
  for (const [k, v] of entries) {
    if (!HEADER_NAME.test(k)) return `headers: ${shownValue(k)} is not a header name`;
    if (RESERVED_HEADERS.has(k.toLowerCase())) return `headers: ${k} is set by netwarden`;
    if (typeof v !== 'string' || v.length > 4096 || /[\r\n\0]/.test(v))
      return `headers: the value of ${k} must be one line of at most 4096 characters`;
    const refs = envRefProblem(v);
    if (refs) return `headers: ${k}: ${refs}`;
  }
  return null;
}

const intIn = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Validates one feed object (from the file or the API) and fills defaults; throws
 * FeedConfigError listing every problem.
 */
export function validateFeed(input: unknown): FeedConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new FeedConfigError('a feed must be a JSON object');
  const o = input as Record<string, unknown>;
  const errs: string[] = [];
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k)) errs.push(`unknown field "${shownValue(k)}"`);
  if (typeof o.name !== 'string' || !NAME.test(o.name))
    errs.push('name must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit');
  const hasUrl = o.url !== undefined;
  const hasPath = o.path !== undefined;
  if (hasUrl === hasPath) errs.push('give exactly one of url and path');
  if (hasUrl) {
    if (typeof o.url !== 'string' || o.url.length > 2048) errs.push('url must be a string (at most 2048 characters)');
    else {
      const why = validateFeedUrl(o.url);
      if (why) errs.push(why);
    }
  }
  if (o.headers !== undefined) {
    const why = headersProblem(o.headers, typeof o.url === 'string' && /^https?:/i.test(o.url));
    if (why) errs.push(why);
  }
  if (hasPath && (typeof o.path !== 'string' || o.path === '' || o.path.includes('\0') || o.path.length > 4096))
    errs.push('path must be a non-empty string');
  const format = o.format ?? FEED_DEFAULTS.format;
  if (!FEED_FORMATS.includes(format as FeedFormat)) errs.push(`format must be one of ${FEED_FORMATS.join(', ')}`);
  if (o.type === undefined && format === 'zeek') o.type = 'ip'; // unused: Zeek names the type per line
  if (!FEED_TYPES.includes(o.type as FeedType)) errs.push(`type must be one of ${FEED_TYPES.join(', ')}`);
  if (o.column !== undefined) {
    const okNumber = intIn(o.column, 1, 1000);
    const okName = typeof o.column === 'string' && o.column.length > 0 && o.column.length <= 100;
    if (!okNumber && !okName) errs.push('column must be a column number (1-1000) or a header name');
    if (okName && o.header !== true) errs.push('a column given by name needs header: true');
  }
  if (o.header !== undefined && typeof o.header !== 'boolean') errs.push('header must be true or false');
  if (o.delimiter !== undefined && (typeof o.delimiter !== 'string' || o.delimiter.length !== 1 || o.delimiter === '"'))
    errs.push('delimiter must be one character (not ")');
  if ((o.column !== undefined || o.header !== undefined || o.delimiter !== undefined) && format !== 'csv')
    errs.push('column, header and delimiter apply to format csv only');
  if (o.refreshMinutes !== undefined && !intIn(o.refreshMinutes, 5, 10080))
    errs.push('refreshMinutes must be an integer from 5 to 10080');
  if (o.severity !== undefined && !(typeof o.severity === 'string' && isSeverity(o.severity)))
    errs.push('severity must be one of info, low, medium, high, critical');
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') errs.push('enabled must be true or false');
  if (o.maxBytes !== undefined && !intIn(o.maxBytes, 1, MAX_BYTES_LIMIT))
    errs.push(`maxBytes must be an integer from 1 to ${MAX_BYTES_LIMIT}`);
  if (o.timeoutSeconds !== undefined && !intIn(o.timeoutSeconds, 1, 600))
    errs.push('timeoutSeconds must be an integer from 1 to 600');
  if (o.description !== undefined && (typeof o.description !== 'string' || o.description.length > 300))
    errs.push('description must be a string of at most 300 characters');
  if (errs.length) {
    const who = typeof o.name === 'string' && NAME.test(o.name) ? `feed ${o.name}: ` : '';
    throw new FeedConfigError(`${who}${errs.join('; ')}`);
  }
  const feed: FeedConfig = {
    name: o.name as string,
    type: o.type as FeedType,
    format: format as FeedFormat,
    refreshMinutes: (o.refreshMinutes as number | undefined) ?? FEED_DEFAULTS.refreshMinutes,
    severity: (o.severity as Severity | undefined) ?? FEED_DEFAULTS.severity,
    enabled: (o.enabled as boolean | undefined) ?? FEED_DEFAULTS.enabled,
    maxBytes: (o.maxBytes as number | undefined) ?? FEED_DEFAULTS.maxBytes,
    timeoutSeconds: (o.timeoutSeconds as number | undefined) ?? FEED_DEFAULTS.timeoutSeconds,
  };
  if (hasUrl) feed.url = o.url as string;
  if (o.headers !== undefined) feed.headers = { ...(o.headers as Record<string, string>) };
  if (hasPath) feed.path = o.path as string;
  if (o.column !== undefined) feed.column = o.column as number | string;
  if (o.header !== undefined) feed.header = o.header as boolean;
  if (o.delimiter !== undefined) feed.delimiter = o.delimiter as string;
  if (o.description !== undefined) feed.description = o.description as string;
  return feed;
}

/** Validates a whole feeds document (`{ "feeds": [...] }` or a bare array); names must be unique. */
export function validateFeeds(doc: unknown): FeedConfig[] {
  const list = Array.isArray(doc) ? doc : (doc as { feeds?: unknown } | null)?.feeds;
  if (!Array.isArray(list)) throw new FeedConfigError('expected { "feeds": [ … ] }');
  const feeds = list.map((f, i) => {
    try {
      return validateFeed(f);
    } catch (err) {
      throw new FeedConfigError(`feeds[${i}]: ${(err as Error).message}`);
    }
  });
  const seen = new Set<string>();
  for (const f of feeds) {
    if (seen.has(f.name)) throw new FeedConfigError(`feed name "${f.name}" is used twice`);
    seen.add(f.name);
  }
  return feeds;
}

/** Reads and validates a feeds file; FeedConfigError names the file and the problem. */
export function loadFeedsFile(file: string): FeedConfig[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FeedConfigError(`cannot read feeds file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // The parser may quote the text, which may hold a feed's secret.
    throw new FeedConfigError(`feeds file ${file} is not valid JSON: ${redactText((err as Error).message)}`);
  }
  try {
    return validateFeeds(doc);
  } catch (err) {
    throw new FeedConfigError(`feeds file ${file}: ${(err as Error).message}`);
  }
}

/** Writes a feeds file atomically (a crash leaves the old or the new file, never half of one). */
export function saveFeedsFile(file: string, feeds: FeedConfig[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ feeds }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(tmp, file);
}

/** The local file a feed reads directly (path, or a file:// URL), or null for an http(s) feed. */
export function localFeedPath(feed: FeedConfig, feedsFile?: string): string | null {
  if (feed.path !== undefined) {
    return isAbsolute(feed.path) || feedsFile === undefined
      ? resolve(feed.path)
      : resolve(dirname(feedsFile), feed.path);
  }
  if (feed.url !== undefined && feed.url.startsWith('file:')) return fileURLToPath(feed.url);
  return null;
}

/** A feed as shown (CLI, API): url redacted, header values `***` unless only `${env:…}` references. */
export function publicFeed(feed: FeedConfig): FeedConfig {
  const out = { ...feed };
  if (out.url !== undefined) out.url = redactUrl(out.url);
  if (out.headers !== undefined) out.headers = shownHeaders(out.headers);
  return out;
}

/**
 * A feed sent back by an API client that read it redacted: a url or header value equal to the
 * stored one as shown is the stored one (unchanged); any other `***` is refused — a redacted
 * secret cannot round-trip. Throws FeedConfigError.
 */
export function restoreRedacted(feed: FeedConfig, stored: FeedConfig | undefined): FeedConfig {
  const out = { ...feed };
  const why =
    'is redacted (***): secrets cannot round-trip through the API; send the real value or a ${env:NETWARDEN_FEED_NAME} reference';
  if (out.url?.includes(REDACTED)) {
    if (stored?.url !== undefined && redactUrl(stored.url) === out.url) out.url = stored.url;
    else throw new FeedConfigError(`feed ${feed.name}: url ${why}`);
  }
  if (out.headers !== undefined) {
    const old = Object.entries(stored?.headers ?? {});
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.headers)) {
      if (!v.includes(REDACTED)) headers[k] = v;
      else {
        const same = old.find(([ok, ov]) => ok.toLowerCase() === k.toLowerCase() && shownHeaderValue(ov) === v);
        if (!same) throw new FeedConfigError(`feed ${feed.name}: header ${k} ${why}`);
        headers[k] = same[1];
      }
    }
    out.headers = headers;
  }
  return out;
}
