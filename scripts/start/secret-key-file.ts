import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, tightenPrivateDir } from '../../src/storage/private-modes';

/** Inside the data directory, which is 0700 and holds the captures this key encrypts state of. */
export const SECRET_KEY_FILE = 'secret-key';

/**
 * A development SECRET_KEY that survives restarts: generated once into the data directory
 * (0600) and read back afterwards, so capture state encrypted before a restart stays readable
 * and issued JWTs stay valid. Production sets SECRET_KEY itself (loadSettings insists).
 */
export function persistentSecretKey(dataDir: string): { key: string; path: string; created: boolean } {
  tightenPrivateDir(dataDir);
  const path = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    if (key.length >= 32) return { key, path, created: false };
  }
  const key = randomBytes(32).toString('base64url');
  // 'w' with an explicit mode: a short or empty file left by an interrupted first start is replaced.
  writeFileSync(path, `${key}\n`, { mode: PRIVATE_FILE_MODE, flag: 'w' });
  chmodSync(path, PRIVATE_FILE_MODE);
  return { key, path, created: true };
}
