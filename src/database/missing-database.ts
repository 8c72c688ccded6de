import { Client } from 'pg';
import { missingDatabaseMessage } from '../config/service-settings';

/**
 * The one-line explanation when the database DATABASE_URL names does not exist, else null —
 * checked with one short connection before Nest starts, whose own start-up would print a stack
 * dump for it. Any other failure (server not up yet) is left to the usual retries: null.
 */
export async function missingDatabase(databaseUrl: string): Promise<string | null> {
  const c = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    return null;
  } catch (err) {
    return missingDatabaseMessage(err, databaseUrl);
  } finally {
    await c.end().catch(() => undefined);
  }
}
