import { Client } from 'pg';
import { databaseTarget } from '../../src/config/service-settings';

/** The same server's `postgres` maintenance database: where CREATE DATABASE is issued from. */
export function maintenanceUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * Creates the database DATABASE_URL names when it does not exist yet; true when it created it.
 * The name is quoted by pg's escapeIdentifier (any name PostgreSQL accepts, quotes included).
 */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const { database } = databaseTarget(databaseUrl);
  const admin = new Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    } catch (err) {
      // Another `npm start` created it between the look-up and here.
      if ((err as { code?: string }).code === '42P04') return false;
      throw err;
    }
    return true;
  } finally {
    await admin.end();
  }
}
