import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ApiKeyEntity } from '../src/auth/api-key.entity';
import { hashKey } from '../src/auth/key-material';
import { createDatabaseIfMissing } from '../scripts/start/ensure-database';
import { FIRST_KEY_NAME, issueFirstAdminKey } from '../scripts/start/first-admin-key';
import { createTestDatabase, dropDatabase, PG_ADMIN_URL, type TestDatabase } from './support/test-database';

/** `npm start`'s database steps on the real PostgreSQL: creating a missing database, the first admin key. */
async function databaseExists(name: string): Promise<boolean> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await c.end();
  }
}

describe('createDatabaseIfMissing', () => {
  // Quotes, a space, a semicolon and capitals: an unquoted or hand-quoted CREATE would fail or inject.
  const name = `nw_test "we'ird"; DROP ${randomBytes(4).toString('hex')} Name`;
  const url = () => {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    return u.toString();
  };
  afterAll(() => dropDatabase(name));

  it('creates a database with any name PostgreSQL accepts, once', async () => {
    expect(await databaseExists(name)).toBe(false);
    expect(await createDatabaseIfMissing(url())).toBe(true);
    expect(await databaseExists(name)).toBe(true);
    expect(await createDatabaseIfMissing(url())).toBe(false);
  });

  it('connects to the created database by the same URL', async () => {
    const c = new Client({ connectionString: url() });
    await c.connect();
    try {
      expect((await c.query('SELECT current_database() AS db')).rows[0].db).toBe(name);
    } finally {
      await c.end();
    }
  });
});

describe('issueFirstAdminKey', () => {
  let db: TestDatabase;
  beforeEach(async () => (db = await createTestDatabase()));
  afterEach(() => db.drop());

  const rows = () => db.dataSource.getRepository(ApiKeyEntity).find();

  it('issues an admin key on the first start only, storing only its hash', async () => {
    const key = await issueFirstAdminKey(db.dataSource, null);
    expect(key).toMatch(/^nwk_[A-Za-z0-9_-]{43}$/);
    const stored = await rows();
    expect(stored.map((r) => [r.name, r.role, r.keyHash, r.revokedAt])).toEqual([
      [FIRST_KEY_NAME, 'admin', hashKey(key!), null],
    ]);
    expect(JSON.stringify(stored)).not.toContain(key!.slice(4));
    expect(await issueFirstAdminKey(db.dataSource, null)).toBeNull();
    expect(await rows()).toHaveLength(1);
  });

  it('issues one key when two starts race', async () => {
    const keys = await Promise.all([issueFirstAdminKey(db.dataSource, null), issueFirstAdminKey(db.dataSource, null)]);
    expect(keys.filter((k) => k !== null)).toHaveLength(1);
    expect(await rows()).toHaveLength(1);
  });

  it('issues nothing when API_KEY is set (the API stores that one)', async () => {
    expect(await issueFirstAdminKey(db.dataSource, 'an-api-key-from-env-0123')).toBeNull();
    expect(await rows()).toEqual([]);
  });

  it('issues nothing once every key was revoked: that was an admin decision', async () => {
    await issueFirstAdminKey(db.dataSource, null);
    await db.dataSource.query('UPDATE api_keys SET "revokedAt" = now()');
    expect(await issueFirstAdminKey(db.dataSource, null)).toBeNull();
  });
});
