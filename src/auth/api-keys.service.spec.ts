import { ConflictException, NotFoundException } from '@nestjs/common';
import { loadSettings } from '../config/settings';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { ApiKeysService } from './api-keys.service';
import { hashKey } from './key-material';

/** ApiKeysService on a real PostgreSQL database: env key sync, verification, revocation rules. */
describe('ApiKeysService', () => {
  let db: TestDatabase;
  const ENV_A = 'env-key-A-0123456789abcdef';
  const ENV_B = 'env-key-B-0123456789abcdef';

  const service = () => new ApiKeysService(db.dataSource, loadSettings({ API_KEY: ENV_A }));
  const envRows = async () =>
    (await db.dataSource.query(
      `SELECT "keyHash", role, "revokedAt" IS NOT NULL AS revoked FROM api_keys WHERE name = 'env' ORDER BY "createdAt"`,
    )) as Array<{ keyHash: string; role: string; revoked: boolean }>;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('env API_KEY: inserted once as admin (hash only), idempotent, concurrent start-ups make one row', async () => {
    await Promise.all([service().syncEnvKey(ENV_A), service().syncEnvKey(ENV_A), service().syncEnvKey(ENV_A)]);
    await service().syncEnvKey(ENV_A);
    expect(await envRows()).toEqual([{ keyHash: hashKey(ENV_A), role: 'admin', revoked: false }]);
    expect(await service().verifyKey(ENV_A)).toMatchObject({ role: 'admin' });
  });

  it('a changed API_KEY revokes the old env key; no API_KEY revokes it; a revoked one is not resurrected', async () => {
    const s = service();
    await s.syncEnvKey(ENV_A);
    await s.syncEnvKey(ENV_B);
    expect(await envRows()).toEqual([
      { keyHash: hashKey(ENV_A), role: 'admin', revoked: true },
      { keyHash: hashKey(ENV_B), role: 'admin', revoked: false },
    ]);
    expect(await s.verifyKey(ENV_A)).toBeNull();
    expect(await s.verifyKey(ENV_B)).not.toBeNull();
    await s.syncEnvKey(ENV_A);
    expect((await envRows()).map((r) => r.revoked)).toEqual([true, true]);
    expect(await s.verifyKey(ENV_A)).toBeNull();
    await s.syncEnvKey(null);
    expect(await s.verifyKey(ENV_B)).toBeNull();
  });

  it('verifyKey: only the exact key, not a prefix, not empty, not huge', async () => {
    const s = service();
    const { key, info } = await s.create('ops', 'read');
    expect(await s.verifyKey(key)).toEqual({ id: info.id, role: 'read', keyHash: hashKey(key) });
    for (const wrong of ['', key.slice(0, -1), `${key} `, key.toUpperCase(), 'x'.repeat(100_000)]) {
      expect(await s.verifyKey(wrong)).toBeNull();
    }
    expect(await s.activeKeyById(info.id)).toMatchObject({ role: 'read' });
    await s.revoke(info.id);
    expect(await s.verifyKey(key)).toBeNull();
    expect(await s.activeKeyById(info.id)).toBeNull();
  });

  it('roles: analyst keys are stored like the others; the database refuses a role the code does not know', async () => {
    const s = service();
    const { key, info } = await s.create('analyst one', 'analyst');
    expect(await s.verifyKey(key)).toEqual({ id: info.id, role: 'analyst', keyHash: hashKey(key) });
    const insert = (role: string) =>
      db.dataSource.query(`INSERT INTO api_keys (name, "keyHash", prefix, role) VALUES ('x', $1, 'x', $2)`, [
        hashKey(`k-${role}`),
        role,
      ]);
    for (const role of ['root', 'Admin', '']) {
      await expect(insert(role)).rejects.toThrow(/CHK_api_keys_role/);
    }
  });

  it('revoke: 404 for unknown, 409 for the last admin; two concurrent revocations of the last two admins leave one', async () => {
    const s = service();
    await s.syncEnvKey(ENV_A);
    await expect(s.revoke('6a1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d')).rejects.toBeInstanceOf(NotFoundException);
    const envId = (
      (await db.dataSource.query(`SELECT id FROM api_keys WHERE name = 'env'`)) as Array<{ id: string }>
    )[0].id;
    await expect(s.revoke(envId)).rejects.toBeInstanceOf(ConflictException);
    const other = await s.create('second', 'admin');
    const results = await Promise.allSettled([service().revoke(envId), service().revoke(other.info.id)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictException);
    const active = (await db.dataSource.query(
      `SELECT count(*)::int AS n FROM api_keys WHERE role = 'admin' AND "revokedAt" IS NULL`,
    )) as Array<{ n: number }>;
    expect(active[0].n).toBe(1);
  });
});
