import { join, resolve } from 'node:path';

/**
 * Where intel state lives by default: the data directory (env NETWARDEN_DATA_DIR, default
 * ./data) holds the service's feeds file and the cache both the service and the CLI use.
 * The API and the workers share the data directory, so the workers read the same two.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.NETWARDEN_DATA_DIR || 'data');
}

export function intelCacheDirIn(dir: string): string {
  return join(dir, 'intel-cache');
}

export function feedsFileIn(dir: string): string {
  return join(dir, 'intel-feeds.json');
}

export function defaultIntelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return intelCacheDirIn(dataDir(env));
}

/** The feeds file the service reads at start and rewrites when feeds are added through the API. */
export function serviceFeedsFile(env: NodeJS.ProcessEnv = process.env): string {
  return feedsFileIn(dataDir(env));
}
