import { appendFileSync, readFileSync } from 'node:fs';
import Redis from 'ioredis';

/**
 * What the suites create on the shared servers — a Redis key prefix, a PostgreSQL database — is
 * written down as it is created, one line per resource, in the file the run's global setup names
 * (test/support/jest-global-setup.ts). The global teardown removes whatever is still there, so a
 * suite that failed, timed out or was killed before its own afterAll leaves nothing behind, and a
 * run removes only its own (another run on the same servers keeps its keys and databases).
 */
export const RESOURCES_FILE_ENV = 'NETWARDEN_TEST_RESOURCES';

export type TestResource = { kind: 'redis-prefix'; name: string } | { kind: 'database'; name: string };

export function recordTestResource(r: TestResource): void {
  const file = process.env[RESOURCES_FILE_ENV];
  // Outside `jest` (a support module imported by a script) nothing is recorded.
  if (file) appendFileSync(file, `${r.kind}\t${r.name}\n`);
}

export function readTestResources(file: string): TestResource[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: TestResource[] = [];
  for (const line of text.split('\n')) {
    const [kind, name] = line.split('\t');
    if ((kind !== 'redis-prefix' && kind !== 'database') || !name || seen.has(line)) continue;
    seen.add(line);
    out.push({ kind, name });
  }
  return out;
}

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every key a suite made under its prefix (`prefix:…`, and `prefix-…` for a second one); returns how many. */
export async function deleteRedisKeys(prefix: string, redis?: Redis): Promise<number> {
  const r = redis ?? new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    if (!redis) r.disconnect();
  }
  return deleted;
}
