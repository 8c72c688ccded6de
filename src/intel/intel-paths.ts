import { join, resolve } from 'node:path';

/**
 * Where intel state lives by default: the data directory (env NETWARDEN_DATA_DIR, default
 * ./data) holds the service's feeds file and the cache both the service and the CLI use.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.NETWARDEN_DATA_DIR || 'data');
}

export function defaultIntelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'intel-cache');
}

/** The feeds file the service reads at start and rewrites when feeds are added through the API. */
export function serviceFeedsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'intel-feeds.json');
}
