import { openDataSource } from '../src/database/data-source';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/**
 * The schema comes from migrations only (no synchronize): after every migration has run, the
 * entities must need no change — a column added to an entity without its migration fails here —
 * and every migration must revert cleanly.
 */
describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('leave nothing for the entities to change', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('have all run, and revert to an empty schema', async () => {
    const ran = (await db.dataSource.query('SELECT name FROM migrations ORDER BY id')) as Array<{ name: string }>;
    expect(ran.map((r) => r.name)).toEqual(db.dataSource.migrations.map((m) => m.name));
    for (let i = 0; i < db.dataSource.migrations.length; i++) await db.dataSource.undoLastMigration();
    const tables = (await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    )) as unknown[];
    expect(tables).toEqual([]);
  });
});

describe('migrations run by several processes at once (MIGRATIONS_RUN=true on the API and workers)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('apply each migration exactly once (an advisory lock serialises them)', async () => {
    const opened = await Promise.all([1, 2, 3, 4].map(() => openDataSource(db.url, true)));
    try {
      const ran = (await db.dataSource.query('SELECT name FROM migrations ORDER BY id')) as Array<{ name: string }>;
      expect(ran.map((r) => r.name)).toEqual(db.dataSource.migrations.map((m) => m.name));
    } finally {
      await Promise.all(opened.map((d) => d.destroy()));
    }
  });
});
