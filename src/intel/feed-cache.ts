/**
 * The feed cache: per feed, the last good copy (`<name>.data`) and its metadata
 * (`<name>.meta.json`: ETag, Last-Modified, when it was fetched, counts, the last error). Both are
 * replaced by rename, so a crash mid-write leaves the previous good copy. Feed names are
 * validated (a-z 0-9 . _ -, no leading dot), so they cannot leave the directory.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeedLineError } from '../engine/intel/feed-format';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../storage/private-modes';
import { redactText, redactUrl } from './feed-url';

export interface FeedMeta {
  name: string;
  /** The URL the cached copy came from, redacted (redactUrl); a changed URL gets no conditional request. */
  source: string;
  etag?: string;
  lastModified?: string;
  /** When the cached copy was downloaded (ISO-8601, wall clock: this is outside the engine). */
  fetchedAt?: string;
  /** When the feed was last checked (fetched, 304, or failed). */
  checkedAt?: string;
  /** Size and counts of the cached copy. */
  bytes?: number;
  indicators?: number;
  bad?: number;
  badSample?: FeedLineError[];
  /** The outcome of the last check; an error leaves the copy and the counts above untouched. */
  lastStatus?: 'updated' | 'not-modified' | 'error';
  lastError?: string;
  lastErrorAt?: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class FeedCache {
  constructor(readonly dir: string) {}

  private file(name: string, ext: 'data' | 'meta.json'): string {
    if (!NAME.test(name)) throw new Error(`bad feed name for the cache: ${JSON.stringify(name).slice(0, 70)}`);
    return join(this.dir, `${name}.${ext}`);
  }

  readMeta(name: string): FeedMeta | undefined {
    try {
      const m = JSON.parse(readFileSync(this.file(name, 'meta.json'), 'utf8')) as FeedMeta;
      if (!m || typeof m !== 'object') return undefined;
      // Files written before URLs were redacted may still hold a secret: never hand it on.
      if (typeof m.source === 'string') m.source = redactUrl(m.source);
      if (typeof m.lastError === 'string') m.lastError = redactText(m.lastError);
      return m;
    } catch {
      return undefined;
    }
  }

  hasData(name: string): boolean {
    return existsSync(this.file(name, 'data'));
  }

  readData(name: string): Buffer | undefined {
    try {
      return readFileSync(this.file(name, 'data'));
    } catch {
      return undefined;
    }
  }

  writeMeta(meta: FeedMeta): void {
    meta = { ...meta, source: redactUrl(meta.source) };
    this.atomic(this.file(meta.name, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  }

  writeData(name: string, body: Buffer): void {
    this.atomic(this.file(name, 'data'), body);
  }

  remove(name: string): void {
    for (const ext of ['data', 'meta.json'] as const) {
      try {
        unlinkSync(this.file(name, ext));
      } catch {
        // already gone
      }
    }
  }

  private atomic(file: string, content: string | Buffer): void {
    mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${file}.tmp-${process.pid}`;
    // flag wx: a stale temporary file of an earlier process with this pid keeps its own mode, so it goes first.
    rmSync(tmp, { force: true });
    writeFileSync(tmp, content, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    renameSync(tmp, file);
  }
}
