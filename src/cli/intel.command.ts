import type { DetectorResources } from '../engine/detectors/detector-resources';
import { FeedCache } from '../intel/feed-cache';
import { FeedConfigError, loadFeedsFile, localFeedPath, type FeedConfig } from '../intel/feed-config';
import { redactUrl, shownHeaders } from '../intel/feed-url';
import { defaultIntelCacheDir } from '../intel/intel-paths';
import { loadIntel, updateFeed, type FeedUpdateResult } from '../intel/intel-feeds';
import { terminalSafe } from './terminal-text';
import { textTable } from './text-table';
import { IntelUsageError } from './exit-codes';

/**
 * `netwarden intel update|list` and the `analyze --intel` loader. Feeds come from a JSON feeds
 * file (see src/intel/feed-config.ts); the cache directory keeps the last good copy of each URL
 * feed. Exit codes: 0 every feed usable, 1 some feed failed (its last good copy is kept), 2 usage.
 */
export { IntelUsageError };

export interface IntelCommandOptions {
  feeds?: string;
  cache?: string;
  json?: boolean;
}

function feedsFrom(file: string | undefined): FeedConfig[] {
  if (!file) throw new IntelUsageError('--feeds FILE is required');
  try {
    return loadFeedsFile(file);
  } catch (err) {
    if (err instanceof FeedConfigError) throw new IntelUsageError(err.message);
    throw err;
  }
}

export async function runIntelUpdate(o: IntelCommandOptions): Promise<number> {
  const feeds = feedsFrom(o.feeds);
  const cache = new FeedCache(o.cache ?? defaultIntelCacheDir());
  const results: FeedUpdateResult[] = [];
  for (const feed of feeds) results.push(await updateFeed(feed, cache, { feedsFile: o.feeds }));
  if (o.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const rows = [['feed', 'status', 'indicators', 'bad lines', 'copy fetched', 'error']];
    for (const r of results)
      rows.push([
        r.name,
        r.status,
        String(r.indicators),
        String(r.bad),
        r.fetchedAt ?? (r.status === 'local' ? 'local file' : '-'),
        r.error ? terminalSafe(r.error, 120) + (r.indicators > 0 ? ' (last good copy kept)' : '') : '',
      ]);
    process.stdout.write(`${textTable(rows)}\n`);
    for (const r of results)
      for (const e of r.badSample.slice(0, 5))
        process.stderr.write(`netwarden: intel: ${r.name} line ${e.line}: ${e.reason}: ${terminalSafe(e.text, 80)}\n`);
  }
  return results.some((r) => r.status === 'error') ? 1 : 0;
}

export function runIntelList(o: IntelCommandOptions): number {
  const feeds = feedsFrom(o.feeds);
  const cache = new FeedCache(o.cache ?? defaultIntelCacheDir());
  const list = feeds.map((f) => {
    const local = localFeedPath(f, o.feeds);
    const meta = local === null ? cache.readMeta(f.name) : undefined;
    return {
      name: f.name,
      enabled: f.enabled,
      source: local ?? redactUrl(f.url!),
      ...(f.headers ? { headers: shownHeaders(f.headers) } : {}),
      type: f.type,
      format: f.format,
      severity: f.severity,
      refreshMinutes: f.refreshMinutes,
      cached: local !== null ? 'local file' : cache.hasData(f.name) ? 'yes' : 'never fetched',
      indicators: meta?.indicators,
      fetchedAt: meta?.fetchedAt,
      checkedAt: meta?.checkedAt,
      lastError: meta?.lastError,
    };
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const rows = [
    [
      'feed',
      'enabled',
      'type',
      'format',
      'severity',
      'refresh',
      'copy',
      'indicators',
      'fetched',
      'source / last error',
    ],
  ];
  for (const l of list)
    rows.push([
      l.name,
      l.enabled ? 'yes' : 'no',
      l.type,
      l.format,
      l.severity,
      `${l.refreshMinutes} min`,
      l.cached,
      l.indicators === undefined ? '-' : String(l.indicators),
      l.fetchedAt ?? '-',
      terminalSafe(l.lastError ? `${l.source} (last error: ${l.lastError})` : l.source, 160),
    ]);
  process.stdout.write(`${textTable(rows)}\n`);
  return 0;
}

/**
 * `analyze --intel FILE [--intel-cache DIR]`: the index from cached copies and local files.
 * Feeds that cannot be used are warnings on stderr (a never-fetched URL feed says to run
 * `netwarden intel update`), not errors: the analysis runs with what is there.
 */
export function loadIntelResources(feedsFile: string, cacheDir?: string): DetectorResources {
  const feeds = feedsFrom(feedsFile);
  const load = loadIntel(feeds, new FeedCache(cacheDir ?? defaultIntelCacheDir()), feedsFile);
  for (const w of load.warnings) process.stderr.write(`netwarden: intel: ${terminalSafe(w, 300)}\n`);
  return { intel: load.index };
}
