import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { PG_ADMIN_URL } from './test-database';
import { deleteRedisKeys, readTestResources, RESOURCES_FILE_ENV, TEST_REDIS_URL } from './test-resources';

/**
 * Removes the Redis keys and PostgreSQL databases this run's suites created and did not remove
 * themselves (test-resources.ts) and says how many there were: a suite that leaks shows up here.
 */
export default async function globalTeardown(): Promise<void> {
  const file = process.env[RESOURCES_FILE_ENV];
  if (!file) return;
  const resources = readTestResources(file);
  const left: string[] = [];
  const prefixes = resources.filter((r) => r.kind === 'redis-prefix').map((r) => r.name);
  if (prefixes.length > 0) {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      for (const p of prefixes) {
        const n = await deleteRedisKeys(p, redis);
        if (n > 0) left.push(`${n} Redis keys under ${p}`);
      }
    } catch (err) {
      left.push(`Redis not cleaned: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
  const databases = resources.filter((r) => r.kind === 'database').map((r) => r.name);
  if (databases.length > 0) {
    const pg = new Client({ connectionString: PG_ADMIN_URL });
    try {
      await pg.connect();
      const { rows } = await pg.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])',
        [databases],
      );
      for (const { datname } of rows) {
        await pg.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
        left.push(`database ${datname}`);
      }
    } catch (err) {
      left.push(`databases not cleaned: ${(err as Error).message}`);
    } finally {
      await pg.end().catch(() => undefined);
    }
  }
  rmSync(dirname(file), { recursive: true, force: true });
  if (left.length > 0) process.stderr.write(`\njest teardown removed what suites left behind: ${left.join('; ')}\n`);
}
