/**
 * Feed lifecycle outside the engine: refresh one feed into the cache (never losing the last good
 * copy), and load all enabled feeds — cached copies and local files — into one IndicatorIndex
 * for the threat-intel detector. Shared by `netwarden intel …`, `analyze --intel` and the
 * service's IntelService.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parseFeed, type FeedLineError, type FeedParseReport } from '../engine/intel/feed-format';
import { IndicatorIndexBuilder, type IndicatorIndex } from '../engine/intel/indicator-index';
import type { FeedConfig } from './feed-config';
import { localFeedPath } from './feed-config';
import type { FeedCache, FeedMeta } from './feed-cache';
import { FeedFetchError, fetchFeed } from './feed-fetcher';
import { FeedSecretError, redactText, redactUrl, resolveFeedRequest } from './feed-url';

export type FeedOutcome = 'updated' | 'not-modified' | 'local' | 'error' | 'disabled';

export interface FeedUpdateResult {
  name: string;
  status: FeedOutcome;
  /** Indicators in the copy now in use (the last good one after an error; 0 when there is none). */
  indicators: number;
  bad: number;
  badSample: FeedLineError[];
  fetchedAt?: string;
  error?: string;
}

function parseInto(builder: IndicatorIndexBuilder, feedIndex: number, feed: FeedConfig, body: Buffer): FeedParseReport {
  return parseFeed(
    body.toString('utf8'),
    { format: feed.format, type: feed.type, column: feed.column, header: feed.header, delimiter: feed.delimiter },
    (kind, value) => builder.add(feedIndex, kind, value),
  );
}

/** Parses a feed body on its own: how many valid indicators it holds and its bad lines. */
export function checkFeedBody(feed: FeedConfig, body: Buffer): FeedParseReport {
  const b = new IndicatorIndexBuilder();
  return parseInto(b, b.addFeed({ name: feed.name, severity: feed.severity }), feed, body);
}

function readLocal(file: string, maxBytes: number): Buffer {
  const st = statSync(file);
  if (!st.isFile()) throw new Error(`${file} is not a file`);
  if (st.size > maxBytes) throw new Error(`${file} is larger than maxBytes (${maxBytes})`);
  return readFileSync(file);
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'ENOENT' ? 'no such file' : (e?.message ?? String(err)).slice(0, 160);
}

/**
 * Refreshes one feed. An http(s) feed is fetched (conditionally when a copy is cached); the new
 * body replaces the cached copy only when it holds at least one valid indicator. Any failure —
 * HTTP error, timeout, oversized or unparsable answer — is recorded in the metadata and
 * returned, and the last good copy stays in use. Local feeds are only checked.
 */
export async function updateFeed(
  feed: FeedConfig,
  cache: FeedCache,
  opts: { feedsFile?: string; now?: () => Date; env?: NodeJS.ProcessEnv } = {},
): Promise<FeedUpdateResult> {
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const base = { name: feed.name, indicators: 0, bad: 0, badSample: [] as FeedLineError[] };
  if (!feed.enabled) return { ...base, status: 'disabled' };
  const local = localFeedPath(feed, opts.feedsFile);
  if (local !== null) {
    try {
      const r = checkFeedBody(feed, readLocal(local, feed.maxBytes));
      if (r.fatal) return { ...base, status: 'error', error: r.fatal };
      return { ...base, status: 'local', indicators: r.indicators, bad: r.bad, badSample: r.errors };
    } catch (err) {
      return { ...base, status: 'error', error: errnoText(err) };
    }
  }
  // Only the redacted URL (with its ${env:…} references unresolved) is ever stored or shown.
  const source = redactUrl(feed.url!);
  const prev = cache.readMeta(feed.name);
  const haveCopy = prev !== undefined && cache.hasData(feed.name);
  const same = haveCopy && prev.source === source;
  let secrets: string[] = [];
  const kept = (): Omit<FeedUpdateResult, 'status' | 'error'> => ({
    ...base,
    indicators: haveCopy ? (prev.indicators ?? 0) : 0,
    bad: haveCopy ? (prev.bad ?? 0) : 0,
    badSample: haveCopy ? (prev.badSample ?? []) : [],
    ...(haveCopy && prev.fetchedAt ? { fetchedAt: prev.fetchedAt } : {}),
  });
  const fail = (raw: string): FeedUpdateResult => {
    const error = redactText(raw, secrets).slice(0, 300);
    const meta: FeedMeta = {
      ...(prev ?? { name: feed.name }),
      source: prev?.source ?? source,
      checkedAt: now,
      lastStatus: 'error',
      lastError: error,
      lastErrorAt: now,
    };
    cache.writeMeta(meta);
    return { ...kept(), status: 'error', error };
  };
  let outcome;
  try {
    const req = resolveFeedRequest(feed.url!, feed.headers, opts.env);
    secrets = req.secrets;
    outcome = await fetchFeed(
      req.url,
      {
        etag: same ? prev.etag : undefined,
        lastModified: same ? prev.lastModified : undefined,
        maxBytes: feed.maxBytes,
        timeoutMs: feed.timeoutSeconds * 1000,
      },
      req.headers,
    );
  } catch (err) {
    if (err instanceof FeedSecretError) return fail(`${err.message}; not fetched`);
    return fail(err instanceof FeedFetchError ? err.message : String(err));
  }
  if (outcome.kind === 'not-modified') {
    if (!haveCopy) return fail('HTTP 304 but no cached copy');
    const meta: FeedMeta = { ...prev, checkedAt: now, lastStatus: 'not-modified' };
    delete meta.lastError;
    delete meta.lastErrorAt;
    cache.writeMeta(meta);
    return { ...kept(), status: 'not-modified' };
  }
  const report = checkFeedBody(feed, outcome.body);
  if (report.fatal) return fail(report.fatal);
  if (report.indicators === 0)
    return fail(`no valid indicators in the answer (${outcome.body.length} bytes, ${report.bad} bad lines)`);
  cache.writeData(feed.name, outcome.body);
  const meta: FeedMeta = {
    name: feed.name,
    source,
    ...(outcome.etag ? { etag: outcome.etag } : {}),
    ...(outcome.lastModified ? { lastModified: outcome.lastModified } : {}),
    fetchedAt: now,
    checkedAt: now,
    bytes: outcome.body.length,
    indicators: report.indicators,
    bad: report.bad,
    badSample: report.errors,
    lastStatus: 'updated',
  };
  cache.writeMeta(meta);
  return {
    ...base,
    status: 'updated',
    indicators: report.indicators,
    bad: report.bad,
    badSample: report.errors,
    fetchedAt: now,
  };
}

export interface LoadedFeed {
  name: string;
  /** Where the indicators came from: the cache, a local file, or nowhere (never fetched / unreadable). */
  source: 'cache' | 'local' | 'missing' | 'disabled';
  indicators: number;
  bad: number;
  fetchedAt?: string;
  lastError?: string;
}

export interface IntelLoad {
  index: IndicatorIndex;
  feeds: LoadedFeed[];
  /** One line each: feeds that could not be used (never fetched, unreadable file, …). */
  warnings: string[];
  /**
   * What the index was built from, as a short hash: each used feed's name, the settings that
   * shape its indicators (type, format, csv options, severity) and its body's SHA-256, in feed
   * order. Two processes that load the same feeds and copies get the same version, so the
   * service can pin one capture to one indicator set across its chunks.
   */
  version: string;
}

/** The fields of a feed that decide which indicators (and which feed name, severity) it adds. */
function versionPart(feed: FeedConfig, body: Buffer): string {
  const { name, type, format, column, header, delimiter, severity } = feed;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return JSON.stringify([name, type, format, column ?? null, header ?? null, delimiter ?? null, severity, bodyHash]);
}

/** Builds the index from every enabled feed: cached copies for URLs, local files read directly. */
export function loadIntel(feeds: readonly FeedConfig[], cache: FeedCache, feedsFile?: string): IntelLoad {
  const builder = new IndicatorIndexBuilder();
  const loaded: LoadedFeed[] = [];
  const warnings: string[] = [];
  const version = createHash('sha256').update('netwarden-intel-v1');
  for (const feed of feeds) {
    if (!feed.enabled) {
      loaded.push({ name: feed.name, source: 'disabled', indicators: 0, bad: 0 });
      continue;
    }
    const local = localFeedPath(feed, feedsFile);
    let body: Buffer | undefined;
    let meta: FeedMeta | undefined;
    if (local !== null) {
      try {
        body = readLocal(local, feed.maxBytes);
      } catch (err) {
        warnings.push(`feed ${feed.name}: cannot read ${local}: ${errnoText(err)}`);
      }
    } else {
      meta = cache.readMeta(feed.name);
      body = cache.readData(feed.name);
      if (body === undefined)
        warnings.push(
          `feed ${feed.name} has never been fetched (no copy in ${cache.dir}): run netwarden intel update${meta?.lastError ? `; last error: ${meta.lastError}` : ''}`,
        );
    }
    if (body === undefined) {
      loaded.push({
        name: feed.name,
        source: 'missing',
        indicators: 0,
        bad: 0,
        ...(meta?.lastError ? { lastError: meta.lastError } : {}),
      });
      continue;
    }
    version.update(`${versionPart(feed, body)}\n`);
    const idx = builder.addFeed({ name: feed.name, severity: feed.severity });
    const r = parseInto(builder, idx, feed, body);
    if (r.fatal) warnings.push(`feed ${feed.name}: ${r.fatal}`);
    loaded.push({
      name: feed.name,
      source: local !== null ? 'local' : 'cache',
      indicators: r.indicators,
      bad: r.bad,
      ...(meta?.fetchedAt ? { fetchedAt: meta.fetchedAt } : {}),
      ...(meta?.lastError ? { lastError: meta.lastError } : {}),
    });
  }
  return { index: builder.build(), feeds: loaded, warnings, version: version.digest('hex').slice(0, 24) };
}
