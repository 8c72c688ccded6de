import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DetectorResources } from '../engine/detectors/detector-resources';
import { IndicatorIndexBuilder, type IndexCounts, type IndicatorIndex } from '../engine/intel/indicator-index';
import { PRIVATE_DIR_MODE } from '../storage/private-modes';
import { FeedCache, type FeedMeta } from './feed-cache';
import { loadFeedsFile, localFeedPath, publicFeed, saveFeedsFile, type FeedConfig } from './feed-config';
import { redactText, redactUrl } from './feed-url';
import { loadIntel, updateFeed, type FeedUpdateResult, type LoadedFeed } from './intel-feeds';
import { defaultIntelCacheDir, serviceFeedsFile } from './intel-paths';

export interface FeedStatus {
  /** The configuration as shown: url redacted, header values `***` (see publicFeed). */
  feed: FeedConfig;
  /** What the current index holds from this feed. */
  loaded?: Omit<LoadedFeed, 'name'>;
  /** The cached copy's metadata (URL feeds). */
  cache?: Omit<FeedMeta, 'badSample' | 'name'>;
  /** The latest refresh in this process. */
  lastRefresh?: Omit<FeedUpdateResult, 'badSample' | 'name'>;
}

function omit<T extends object, K extends keyof T>(o: T, keys: K[]): Omit<T, K> {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * Threat-intelligence feeds in the service: loads the feeds file from the data directory
 * (NETWARDEN_DATA_DIR, default ./data: intel-feeds.json, cache in intel-cache/) at start, builds
 * the index from the cached copies, refreshes each feed on its own interval (SchedulerRegistry
 * intervals named `intel-feed:<name>`), and hands the current index to whoever builds pipelines
 * (resources()). Feeds added or removed through the API are written back to the feeds file.
 */
@Injectable()
export class IntelService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('IntelService');
  readonly feedsFile = serviceFeedsFile();
  private readonly cache = new FeedCache(defaultIntelCacheDir());
  private feeds: FeedConfig[] = [];
  private index: IndicatorIndex = new IndicatorIndexBuilder().build();
  /** loadIntel's version of the current index: what a capture's intelVersion names. */
  private indexVersion = '';
  private loaded = new Map<string, LoadedFeed>();
  private lastRefresh = new Map<string, FeedUpdateResult>();
  /** One refresh per feed at a time: a scheduled tick and an API call share it. */
  private inFlight = new Map<string, Promise<FeedUpdateResult>>();

  constructor(private readonly scheduler: SchedulerRegistry) {}

  onModuleInit(): void {
    // A broken feeds file stops the start-up with the file's name and the problem (fail fast).
    this.feeds = existsSync(this.feedsFile) ? loadFeedsFile(this.feedsFile) : [];
    this.rebuild();
    for (const f of this.feeds) this.schedule(f);
    // Feeds never fetched, or whose copy is older than their interval, refresh now (in the background).
    const now = Date.now();
    for (const f of this.feeds) {
      if (!f.enabled || localFeedPath(f, this.feedsFile) !== null) continue;
      const at = this.cache.readMeta(f.name)?.checkedAt;
      if (at === undefined || now - Date.parse(at) >= f.refreshMinutes * 60_000) void this.refresh(f.name);
    }
  }

  onApplicationShutdown(): void {
    for (const f of this.feeds) this.unschedule(f.name);
  }

  /** The current index (empty when no feed is loaded). */
  getIndex(): IndicatorIndex {
    return this.index;
  }

  /** DetectorResources for a new pipeline: the current intel index. */
  resources(): DetectorResources {
    return { intel: this.index };
  }

  /** The current index's version (the workers build the same one from the same files). */
  version(): string {
    return this.indexVersion;
  }

  counts(): IndexCounts {
    return { ...this.index.counts };
  }

  list(): FeedStatus[] {
    return this.feeds.map((feed) => this.status(feed.name)!);
  }

  /** The stored configuration, secrets included: for restoreRedacted only, never for an answer. */
  config(name: string): FeedConfig | undefined {
    return this.feeds.find((f) => f.name === name);
  }

  status(name: string): FeedStatus | undefined {
    const feed = this.feeds.find((f) => f.name === name);
    if (feed === undefined) return undefined;
    const out: FeedStatus = { feed: publicFeed(feed) };
    const l = this.loaded.get(name);
    if (l) out.loaded = omit(l, ['name']);
    const meta = localFeedPath(feed, this.feedsFile) === null ? this.cache.readMeta(name) : undefined;
    // Bad-line samples stay out of the API: a feed URL can point anywhere, and its lines are not ours to echo.
    if (meta) out.cache = omit(meta, ['name', 'badSample']);
    const r = this.lastRefresh.get(name);
    if (r) out.lastRefresh = omit(r, ['name', 'badSample']);
    return out;
  }

  /** Adds or replaces a feed (already validated), persists the feeds file, fetches it now. */
  async upsert(feed: FeedConfig): Promise<{ created: boolean; result: FeedUpdateResult }> {
    const at = this.feeds.findIndex((f) => f.name === feed.name);
    const created = at < 0;
    const next = [...this.feeds];
    if (created) next.push(feed);
    else next[at] = feed;
    this.persist(next);
    this.feeds = next;
    this.unschedule(feed.name);
    this.schedule(feed);
    const result = await this.refresh(feed.name, true);
    return { created, result };
  }

  /** Removes a feed, its schedule and its cached copy; false when there is no such feed. */
  remove(name: string): boolean {
    if (!this.feeds.some((f) => f.name === name)) return false;
    const next = this.feeds.filter((f) => f.name !== name);
    this.persist(next);
    this.feeds = next;
    this.unschedule(name);
    this.cache.remove(name);
    this.lastRefresh.delete(name);
    this.rebuild();
    return true;
  }

  /** Refreshes one feed now; the index is rebuilt when its copy changed. */
  refresh(name: string, forceRebuild = false): Promise<FeedUpdateResult> {
    const running = this.inFlight.get(name);
    if (running) return running;
    const feed = this.feeds.find((f) => f.name === name);
    if (feed === undefined) return Promise.reject(new Error(`no feed ${name}`));
    const p = updateFeed(feed, this.cache, { feedsFile: this.feedsFile })
      .then((r) => {
        this.lastRefresh.set(name, r);
        if (r.status === 'error')
          this.log.warn(`feed ${name} (${redactUrl(feed.url ?? '-')}): ${r.error}; last good copy kept`);
        // Only the current configuration counts: the feed may have been removed meanwhile.
        if (this.feeds.includes(feed) && (forceRebuild || r.status === 'updated' || r.status === 'local'))
          this.rebuild();
        return r;
      })
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  private rebuild(): void {
    const load = loadIntel(this.feeds, this.cache, this.feedsFile);
    this.index = load.index;
    this.indexVersion = load.version;
    this.loaded = new Map(load.feeds.map((f) => [f.name, f]));
    for (const w of load.warnings) this.log.warn(redactText(w));
  }

  private persist(feeds: FeedConfig[]): void {
    mkdirSync(dirname(this.feedsFile), { recursive: true, mode: PRIVATE_DIR_MODE });
    saveFeedsFile(this.feedsFile, feeds);
  }

  private intervalName(name: string): string {
    return `intel-feed:${name}`;
  }

  private schedule(feed: FeedConfig): void {
    if (!feed.enabled) return;
    const handle = setInterval(() => {
      this.refresh(feed.name).catch((err: unknown) => this.log.error(`feed ${feed.name}: ${redactText(String(err))}`));
    }, feed.refreshMinutes * 60_000);
    handle.unref();
    this.scheduler.addInterval(this.intervalName(feed.name), handle);
  }

  private unschedule(name: string): void {
    const n = this.intervalName(name);
    if (this.scheduler.doesExist('interval', n)) this.scheduler.deleteInterval(n);
  }
}
