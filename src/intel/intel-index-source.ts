import { existsSync, statSync } from 'node:fs';
import type { IndicatorIndex } from '../engine/intel/indicator-index';
import { FeedCache } from './feed-cache';
import { loadFeedsFile, localFeedPath, type FeedConfig } from './feed-config';
import { redactText } from './feed-url';
import { loadIntel } from './intel-feeds';
import { feedsFileIn, intelCacheDirIn } from './intel-paths';

/** An indicator index and the version (loadIntel's hash) it was built from. */
export interface VersionedIndex {
  version: string;
  index: IndicatorIndex;
}

/** What a chunk of a capture is analysed with; `pinnedMissing` when the pinned version could not be had. */
export interface CaptureIntelChoice extends VersionedIndex {
  /** The capture's pinned version, when this process no longer holds it nor can rebuild it. */
  pinnedMissing?: string;
}

/** The seam the ChunkProcessor uses: the index for one chunk of a capture pinned to `pinned`. */
export interface CaptureIntel {
  forCapture(pinned: string | null): CaptureIntelChoice;
}

function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

/**
 * The threat-intel index as a worker sees it: built like the API's IntelService builds it, from
 * the feeds file and the feed cache in the shared data directory (the API refreshes the cache;
 * workers only read it), and rebuilt when either changed.
 *
 * Change detection is a stat of the feeds file and of each feed's copy (cache files and the
 * feeds file are replaced by rename, so inode, size or mtime move): a few syscalls, done on a
 * timer and again whenever a capture starts, so a capture uploaded right after a refresh sees
 * it. (Polling rather than a Redis message: it needs no subscriber connection, cannot miss a
 * message while Redis or the worker is away, and also notices `netwarden intel update` run by
 * hand against the same cache.)
 *
 * Pinning: a capture uses the version current when its first chunk ran (recorded on the
 * capture row). Later chunks get that version from the current index, from the few previous
 * versions this process still holds, or by reloading the files when this process was behind.
 * When none matches (the copies moved on and this process never held the pinned version — a
 * worker started mid-capture after a refresh), the chunk runs with the current index and the
 * caller records that on the capture.
 */
export class IntelIndexSource implements CaptureIntel {
  readonly feedsFile: string;
  private readonly cache: FeedCache;
  private feeds: FeedConfig[] = [];
  private stampText = '';
  private warnings: string[] = [];
  private current!: VersionedIndex;
  /** Previous versions, oldest first, for captures that started before the latest reload. */
  private readonly held = new Map<string, IndicatorIndex>();

  constructor(
    dataDir: string,
    private readonly opts: { keepPrevious?: number; log?: (line: string) => void } = {},
  ) {
    this.feedsFile = feedsFileIn(dataDir);
    this.cache = new FeedCache(intelCacheDirIn(dataDir));
    // A broken feeds file at start throws (fail fast, like the API); later it is only logged.
    this.load(this.readFeeds());
  }

  get version(): string {
    return this.current.version;
  }

  /** Reloads when the feeds file or a feed's copy changed; true when the index version changed. */
  check(): boolean {
    if (this.stamp(this.feeds) === this.stampText) return false;
    let feeds: FeedConfig[];
    try {
      feeds = this.readFeeds();
    } catch (err) {
      // Keep serving the last good index; the API refuses to start on such a file anyway.
      this.opts.log?.(`intel: ${redactText((err as Error).message)}; keeping index ${this.current.version}`);
      this.stampText = this.stamp(this.feeds);
      return false;
    }
    return this.load(feeds);
  }

  forCapture(pinned: string | null): CaptureIntelChoice {
    if (pinned === null) {
      this.check();
      return this.current;
    }
    if (pinned === this.current.version) return this.current;
    const old = this.held.get(pinned);
    if (old) return { version: pinned, index: old };
    // This process may be behind the files (its timer has not fired yet).
    this.check();
    if (pinned === this.current.version) return this.current;
    return { ...this.current, pinnedMissing: pinned };
  }

  private readFeeds(): FeedConfig[] {
    return existsSync(this.feedsFile) ? loadFeedsFile(this.feedsFile) : [];
  }

  /** Where each enabled feed's indicators are read from, plus the feeds file itself. */
  private stamp(feeds: readonly FeedConfig[]): string {
    const parts = [fileStamp(this.feedsFile)];
    for (const f of feeds) {
      if (!f.enabled) continue;
      const local = localFeedPath(f, this.feedsFile);
      parts.push(fileStamp(local ?? `${this.cache.dir}/${f.name}.data`));
    }
    return parts.join('|');
  }

  private load(feeds: FeedConfig[]): boolean {
    // Stamped before reading: a change while reading is seen by the next check.
    const stamp = this.stamp(feeds);
    const l = loadIntel(feeds, this.cache, this.feedsFile);
    this.feeds = feeds;
    this.stampText = stamp;
    // Said again only when they change (a feed added but not fetched yet leaves the version as it was).
    const warnings = l.warnings.map((w) => `intel: ${redactText(w)}`);
    if (warnings.join('\n') !== this.warnings.join('\n')) for (const w of warnings) this.opts.log?.(w);
    this.warnings = warnings;
    if (this.current?.version === l.version) return false;
    if (this.current) {
      this.held.delete(this.current.version);
      this.held.set(this.current.version, this.current.index);
      this.held.delete(l.version);
      const keep = this.opts.keepPrevious ?? 2;
      while (this.held.size > keep) this.held.delete(this.held.keys().next().value as string);
    }
    this.current = { version: l.version, index: l.index };
    const c = l.index.counts;
    this.opts.log?.(
      `intel: index ${l.version} loaded (${l.feeds.filter((f) => f.source === 'cache' || f.source === 'local').length} feeds; ${c.ipv4 + c.ipv4Cidr + c.ipv6} addresses, ${c.domain} domains, ${c.url} urls)`,
    );
    return true;
  }
}
