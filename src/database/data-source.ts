import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/**
 * One DataSource shape for the API, the workers, the CLI (`analyze --db`) and `migration:run`.
 * The schema comes from migrations only: `synchronize` is never on (DESIGN §4; issue 6).
 */
export function dataSourceOptions(databaseUrl: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsTransactionMode: 'each',
    uuidExtension: 'pgcrypto',
    // A worker must not hang forever on a dead database: fail the job and let BullMQ retry it.
    extra: { connectionTimeoutMillis: 5000, max: 10 },
    ...extra,
  } as DataSourceOptions;
}

export async function openDataSource(databaseUrl: string, runMigrations = false): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(databaseUrl));
  await ds.initialize();
  if (runMigrations) await runMigrationsLocked(ds);
  return ds;
}

/** Any fixed 64-bit number: the advisory lock every netwarden process takes around migrations. */
const MIGRATION_LOCK = 0x6e77_6d69_6772; // "nwmigr"

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so an API and workers started
 * together with MIGRATIONS_RUN=true don't race (TypeORM takes no lock of its own: two processes
 * would both see a migration pending and both run it). The lock is session-level, so it is taken
 * and released on one dedicated connection; the migrations run on the pool.
 */
export async function runMigrationsLocked(ds: DataSource): Promise<string[]> {
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
  }
}
