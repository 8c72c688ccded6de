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
  if (runMigrations) await ds.runMigrations();
  return ds;
}
