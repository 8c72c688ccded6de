import 'reflect-metadata';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from '../src/config/service-settings';
import type { Settings } from '../src/config/settings';
import { openDataSource, runMigrationsLocked } from '../src/database/data-source';

/** `npm run migration:run` (apply pending migrations) and `npm run migration:revert` (undo the last one). */
let settings: Settings | undefined;

async function main(): Promise<void> {
  const revert = process.argv.includes('--revert');
  const loaded = loadServiceSettings();
  settings = loaded.settings;
  process.stdout.write(`netwarden migrate: ${describeConnections(settings, loaded.dotEnvPath)}\n`);
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
  const missing = settings ? missingDatabaseMessage(err, settings.databaseUrl) : null;
  process.stderr.write(`netwarden migrate: ${missing ?? (err instanceof Error ? err.message : String(err))}\n`);
  process.exit(1);
});
