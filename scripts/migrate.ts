import 'reflect-metadata';
import { loadSettings } from '../src/config/settings';
import { openDataSource, runMigrationsLocked } from '../src/database/data-source';

/** `npm run migration:run` (apply pending migrations) and `npm run migration:revert` (undo the last one). */
async function main(): Promise<void> {
  const revert = process.argv.includes('--revert');
  const settings = loadSettings();
  const ds = await openDataSource(settings.databaseUrl);
  try {
    if (revert) {
      await ds.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else {
      const ran = await runMigrationsLocked(ds);
      process.stdout.write(ran.length ? `applied ${ran.join(', ')}\n` : 'schema is up to date\n');
    }
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`netwarden migrate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
