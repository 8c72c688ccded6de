import { loadDotEnv } from './dotenv';
import { loadSettings, type Settings } from './settings';

/**
 * The one way every entry point (API, worker, migrations, `analyze --db`, `npm start`) reads its
 * settings: `.env` in the working directory, then the environment (which wins), validated by
 * loadSettings. Each then logs describeConnections() so an operator sees which database and
 * Redis it actually uses — a migration run against another database than the API's was the
 * newcomer's first trap (issue 14).
 */
export interface ServiceSettings {
  settings: Settings;
  /** The .env file read, or null when there was none. */
  dotEnvPath: string | null;
}

export function loadServiceSettings(
  dir: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): ServiceSettings {
  const dotEnvPath = loadDotEnv(dir, env);
  return { settings: loadSettings(env), dotEnvPath };
}

export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  prefix: string;
}

/** Host, port and name only: the URL's user and password never leave this function. */
export function databaseTarget(databaseUrl: string): DatabaseTarget {
  const u = new URL(databaseUrl);
  return {
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : 5432,
    // decodeURI, not decodeURIComponent: the name pg (pg-connection-string) connects to, so a
    // database created or described here is the one the services open.
    database: decodeURI(u.pathname.replace(/^\//, '')) || 'postgres',
  };
}

export function redisTarget(settings: Pick<Settings, 'redisUrl' | 'redisPrefix'>): RedisTarget {
  const u = new URL(settings.redisUrl);
  return {
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : 6379,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    prefix: settings.redisPrefix,
  };
}

/** One line for the start-up log, e.g. `database netwarden on 127.0.0.1:5432, redis 127.0.0.1:6379 db 0 prefix netwarden`. */
export function describeConnections(
  settings: Pick<Settings, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>,
  dotEnvPath: string | null = null,
): string {
  const d = databaseTarget(settings.databaseUrl);
  const r = redisTarget(settings);
  return (
    `database ${d.database} on ${d.host}:${d.port}, redis ${r.host}:${r.port} db ${r.db} prefix ${r.prefix}` +
    (dotEnvPath ? ` (settings from the environment and ${dotEnvPath})` : ' (settings from the environment; no .env)')
  );
}

/** PostgreSQL's "database does not exist" (SQLSTATE 3D000): waiting or retrying will not help. */
export function isMissingDatabase(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '3D000';
}

/**
 * PostgreSQL's "database does not exist" (SQLSTATE 3D000) as one actionable line, or null for
 * any other error. Without it the API died with `database "…" does not exist` and no hint.
 */
export function missingDatabaseMessage(err: unknown, databaseUrl: string): string | null {
  if (!isMissingDatabase(err)) return null;
  const d = databaseTarget(databaseUrl);
  const quoted = `'${d.database.replace(/'/g, `'\\''`)}'`;
  return (
    `database ${d.database} does not exist on ${d.host}:${d.port}: create it with ` +
    `\`createdb -h ${d.host} -p ${d.port} ${quoted}\`, or run \`npm start\`, which creates it`
  );
}
