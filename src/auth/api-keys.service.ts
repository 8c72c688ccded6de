import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { ApiKeyEntity, type ApiRole } from './api-key.entity';
import { generateKey, hashKey, sameHash, shownPrefix } from './key-material';

/** A key as listings show it: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  role: ApiRole;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface ActiveKey {
  id: string;
  role: ApiRole;
  keyHash: string;
}

/** The key named "env" mirrors env API_KEY (see syncEnvKey). */
export const ENV_KEY_NAME = 'env';
/** Look-ups are cached this long: a key revoked on another API process stops working within it. */
export const KEY_CACHE_MS = 5_000;
/** lastUsedAt is written at most this often per key: no database write per request. */
export const LAST_USED_EVERY_MS = 60_000;
/** Serialises concurrent API start-ups upserting the env key. */
const ENV_KEY_LOCK = 0x6e776b31;

/**
 * API keys stored hashed in api_keys: verification by the hash (its unique index) then a
 * constant-time compare, creation (the key is returned once), listing and revocation.
 */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly log = new Logger('ApiKeys');
  private readonly byHash = new Map<string, { key: ActiveKey; until: number }>();
  private readonly byId = new Map<string, { key: ActiveKey | null; until: number }>();
  private readonly lastTouched = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.syncEnvKey(this.settings.apiKey);
  }

  /**
   * Makes env API_KEY an admin key named "env" (only its hash is stored). A different API_KEY
   * than last time revokes the old env key; no API_KEY revokes it too. A revoked env key is not
   * brought back by restarting with the same API_KEY: revocation is an admin's decision.
   */
  async syncEnvKey(apiKey: string | null): Promise<void> {
    const hash = apiKey === null ? null : hashKey(apiKey);
    await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [ENV_KEY_LOCK]);
      const stale = m
        .createQueryBuilder()
        .update(ApiKeyEntity)
        .set({ revokedAt: () => 'now()' })
        .where('name = :name AND "revokedAt" IS NULL', { name: ENV_KEY_NAME });
      if (hash !== null) stale.andWhere('"keyHash" <> :hash', { hash });
      const revoked = await stale.execute();
      if (revoked.affected) this.log.log('API_KEY changed: the previous env key is revoked');
      if (hash === null) return;
      await m
        .createQueryBuilder()
        .insert()
        .into(ApiKeyEntity)
        .values({ name: ENV_KEY_NAME, keyHash: hash, prefix: '(env API_KEY)', role: 'admin' })
        .orIgnore()
        .execute();
    });
    this.forgetCached();
  }

  /** The active key behind a presented secret, or null. The secret itself is never stored or logged. */
  async verifyKey(presented: string): Promise<ActiveKey | null> {
    if (presented.length === 0 || presented.length > 512) return null;
    const hash = hashKey(presented);
    const now = Date.now();
    let hit = this.byHash.get(hash);
    if (!hit || hit.until < now) {
      const row = await this.ds
        .getRepository(ApiKeyEntity)
        .createQueryBuilder('k')
        .select(['k.id', 'k.role', 'k.keyHash'])
        .where('k.keyHash = :hash AND k.revokedAt IS NULL', { hash })
        .getOne();
      if (!row) {
        this.byHash.delete(hash);
        return null;
      }
      hit = { key: { id: row.id, role: row.role, keyHash: row.keyHash }, until: now + KEY_CACHE_MS };
      this.byHash.set(hash, hit);
    }
    // The index found the row by hash; compare again in constant time so the answer never
    // depends on how many leading characters matched.
    if (!sameHash(hit.key.keyHash, hash)) return null;
    this.touch(hit.key.id);
    return hit.key;
  }

  /** The active key with this id (a JWT's subject), or null when revoked or unknown. */
  async activeKeyById(id: string): Promise<ActiveKey | null> {
    const now = Date.now();
    const hit = this.byId.get(id);
    if (hit && hit.until >= now) {
      if (hit.key) this.touch(hit.key.id);
      return hit.key;
    }
    const row = await this.ds
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .select(['k.id', 'k.role', 'k.keyHash'])
      .where('k.id = :id AND k.revokedAt IS NULL', { id })
      .getOne();
    const key = row ? { id: row.id, role: row.role, keyHash: row.keyHash } : null;
    this.byId.set(id, { key, until: now + KEY_CACHE_MS });
    if (this.byId.size > 10_000) this.byId.clear();
    if (key) this.touch(key.id);
    return key;
  }

  async create(name: string, role: ApiRole): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = generateKey();
    const row = await this.ds
      .getRepository(ApiKeyEntity)
      .save({ name, role, keyHash: hashKey(key), prefix: shownPrefix(key), lastUsedAt: null, revokedAt: null });
    return { key, info: toInfo(row) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.ds
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .orderBy('k.createdAt', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .getMany();
    return rows.map(toInfo);
  }

  /** Revokes a key; refuses (409) to revoke the last active admin key, which would lock everyone out. */
  async revoke(id: string): Promise<ApiKeyInfo> {
    const row = await this.ds.transaction(async (m) => {
      // Lock the active admin keys: two concurrent revocations cannot each leave "one other" admin.
      const admins = await m
        .getRepository(ApiKeyEntity)
        .createQueryBuilder('k')
        .setLock('pessimistic_write')
        .where(`k.role = 'admin' AND k.revokedAt IS NULL`)
        .getMany();
      const target = await m
        .getRepository(ApiKeyEntity)
        .createQueryBuilder('k')
        .where('k.id = :id AND k.revokedAt IS NULL', { id })
        .getOne();
      if (!target) throw new NotFoundException(`no active API key with id ${id}`);
      if (target.role === 'admin' && admins.length <= 1) {
        throw new ConflictException('this is the last active admin key: create another admin key before revoking it');
      }
      target.revokedAt = new Date();
      return m.getRepository(ApiKeyEntity).save(target);
    });
    this.forgetCached();
    return toInfo(row);
  }

  private forgetCached(): void {
    this.byHash.clear();
    this.byId.clear();
  }

  /** Records use at most once a minute per key, off the request path; a failure only logs. */
  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.lastTouched.set(id, now);
    this.ds
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ lastUsedAt: () => 'now()' })
      .where(`id = :id AND ("lastUsedAt" IS NULL OR "lastUsedAt" < now() - interval '1 minute')`, { id })
      .execute()
      .catch((err: unknown) => this.log.warn(`lastUsedAt not recorded: ${err instanceof Error ? err.message : err}`));
  }
}

function toInfo(r: ApiKeyEntity): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: r.role,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}
