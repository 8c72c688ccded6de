import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from '../../src/auth/api-key.entity';
import { generateKey, hashKey, shownPrefix } from '../../src/auth/key-material';

/** The name the generated key has in GET /auth/keys. */
export const FIRST_KEY_NAME = 'first start';
/** Serialises two `npm start`s on one database (both would see no key and both create one). */
const FIRST_KEY_LOCK = 0x6e776b32;

/**
 * On the very first start without API_KEY: a new admin key, stored only as its hash like every
 * key, and returned so it can be shown once. null when API_KEY is set (the API stores that one)
 * or when api_keys has any row at all, revoked ones included — a key is never shown twice, and
 * revoking every key is an admin's decision this must not undo.
 */
export async function issueFirstAdminKey(ds: DataSource, apiKeyFromEnv: string | null): Promise<string | null> {
  if (apiKeyFromEnv !== null) return null;
  return ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock($1)', [FIRST_KEY_LOCK]);
    if ((await m.getRepository(ApiKeyEntity).count()) > 0) return null;
    const key = generateKey();
    await m.getRepository(ApiKeyEntity).insert({
      name: FIRST_KEY_NAME,
      keyHash: hashKey(key),
      prefix: shownPrefix(key),
      role: 'admin',
    });
    return key;
  });
}
