import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/database/data-source';
import { recordTestResource } from './test-resources';

/**
 * A fresh PostgreSQL database per suite on the real server scripts/services.sh started (never a
 * mock), migrated, and dropped afterwards: suites run in parallel without seeing each other's rows.
 */
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Opened and migrated (unless `migrate: false`). */
  dataSource: DataSource;
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `nw_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    recordTestResource({ kind: 'database', name });
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const dataSource = await openDataSource(url, opts.migrate !== false);
  return {
    name,
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropDatabase(name);
    },
  };
}

/** Drops a database by name (any name: quoted by pg), closing whatever is still connected to it. */
export async function dropDatabase(name: string): Promise<void> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/** A Redis key prefix of its own per suite (BullMQ queues and event channels live under it). */
export function testRedisPrefix(): string {
  const name = `nwtest-${randomBytes(4).toString('hex')}`;
  recordTestResource({ kind: 'redis-prefix', name });
  return name;
}
