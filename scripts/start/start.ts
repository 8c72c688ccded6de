import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { describeConnections, loadServiceSettings, missingDatabaseMessage } from '../../src/config/service-settings';
import { loadSettings, SettingsError, type Settings } from '../../src/config/settings';
import { openDataSource, runMigrationsLocked } from '../../src/database/data-source';
import { secureDataDir } from '../../src/storage/secure-data-dir';
import { createDatabaseIfMissing } from './ensure-database';
import { FIRST_KEY_NAME, issueFirstAdminKey } from './first-admin-key';
import { downLocalServices, runServicesScript, type LocalService } from './local-services';
import { persistentSecretKey } from './secret-key-file';
import { SupervisedChild } from './supervised-child';

/**
 * `npm start`: from a fresh clone (after `npm ci`) to a running service in one command —
 * settings from .env and the environment, local PostgreSQL/Redis started when they are down,
 * the database created, migrations applied, then the API and one worker as supervised children.
 * Ctrl-C stops everything it started (issue 14).
 */
const ROOT = resolve(__dirname, '..', '..', '..');
const say = (line: string) => process.stdout.write(`netwarden start: ${line}\n`);

class StartError extends Error {}

async function prepare(settings: Settings): Promise<{ startedServices: LocalService[]; firstKey: string | null }> {
  const down = await downLocalServices(settings);
  let startedServices: LocalService[] = [];
  if (down.length) {
    say(`${down.join(' and ')} not reachable on this machine: starting through scripts/services.sh`);
    const failed = runServicesScript(ROOT, settings);
    if (failed) {
      throw new StartError(
        `${failed}: it needs root to install or start PostgreSQL and Redis. Start them yourself, or run ` +
          '`sudo bash scripts/services.sh`, then `npm start` again',
      );
    }
    startedServices = down;
  }
  if (await createDatabaseIfMissing(settings.databaseUrl)) say('created the database (it did not exist)');
  const ds = await openDataSource(settings.databaseUrl);
  try {
    const ran = await runMigrationsLocked(ds);
    say(ran.length ? `applied ${ran.length} migration(s)` : 'schema is up to date');
    return { startedServices, firstKey: await issueFirstAdminKey(ds, settings.apiKey) };
  } finally {
    await ds.destroy();
  }
}

/** SECRET_KEY unset in development: the one kept in the data directory (made on the first start). */
function ensureSecretKey(settings: Settings): Settings {
  if (process.env.SECRET_KEY) return settings;
  const s = persistentSecretKey(settings.dataDir);
  process.env.SECRET_KEY = s.key;
  say(
    `SECRET_KEY is not set: ${s.created ? 'generated one into' : 'using the one generated into'} ${s.path} ` +
      '(mode 0600, kept so encrypted state stays readable across restarts; set SECRET_KEY in production)',
  );
  return loadSettings(process.env);
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadServiceSettings();
  } catch (err) {
    if (err instanceof SettingsError) throw new StartError(`configuration: ${err.message}`);
    throw err;
  }
  say(describeConnections(loaded.settings, loaded.dotEnvPath));
  secureDataDir(loaded.settings.dataDir, say);
  const settings = ensureSecretKey(loaded.settings);
  let prepared;
  try {
    prepared = await prepare(settings);
  } catch (err) {
    const missing = missingDatabaseMessage(err, settings.databaseUrl);
    if (missing || err instanceof StartError) throw err instanceof StartError ? err : new StartError(missing!);
    throw new StartError(`could not prepare the database: ${(err as Error).message}`);
  }
  const { startedServices, firstKey } = prepared;
  if (firstKey) {
    say(`admin API key (shown this once only, stored hashed as "${FIRST_KEY_NAME}"): ${firstKey}`);
  } else if (settings.apiKey) {
    say('admin API key: API_KEY from the environment or .env');
  } else {
    say('no key generated: api_keys already has keys (an admin can make more with POST /auth/keys)');
  }

  // Children read .env themselves too, but get everything already resolved (SECRET_KEY included).
  const env = { ...process.env };
  let stopping = false;
  const graceMs = settings.worker.lockMs + 5000;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all([api.stop(graceMs), worker.stop(graceMs)]);
    if (startedServices.length) {
      say(`stopping ${startedServices.join(' and ')} (started by this npm start)`);
      runServicesScript(ROOT, settings, ['stop', ...startedServices]);
    }
    say('stopped');
    process.exit(code);
  };
  const api: SupervisedChild = new SupervisedChild({
    name: 'api',
    script: join(ROOT, 'dist', 'src', 'main.js'),
    cwd: process.cwd(),
    env,
    restart: false,
    say,
    onLine: (line) => {
      const m = /^netwarden api listening on (\S+)/.exec(line);
      if (m) say(`netwarden is running at ${m[1]} (Ctrl-C stops it)`);
    },
    onDeath: (code, signal) => {
      say(`the API exited (${signal ? `signal ${signal}` : `code ${code}`}): stopping everything`);
      void stopAll(1);
    },
  });
  const worker: SupervisedChild = new SupervisedChild({
    name: 'worker',
    script: join(ROOT, 'dist', 'workers', 'analysis.worker.js'),
    cwd: process.cwd(),
    env,
    restart: true,
    say,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping the API and the worker`);
      void stopAll(0);
    });
  }
  api.start();
  worker.start();
}

main().catch((err: unknown) => {
  const message = err instanceof StartError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err;
  process.stderr.write(`netwarden start: ${String(message)}\n`);
  process.exit(1);
});
