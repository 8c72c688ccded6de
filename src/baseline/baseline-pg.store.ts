import type { EntityManager } from 'typeorm';
import { returningRows } from '../database/returning-rows';
import {
  BaselineModelError,
  NETWORK_NAME,
  normalizeBaselineModel,
  parseBaselineModel,
  type BaselineModel,
} from '../engine/baseline/baseline-model';
import { BaselineEntity } from './baseline.entity';
import { BaselineStoreError, type BaselineStore } from './baseline-store';

export interface StoredBaseline {
  model: BaselineModel;
  version: number;
}

/**
 * Baselines in PostgreSQL, one row per network (the service's store; the CLI's is a file).
 * Works in the caller's EntityManager, so a worker saves what a capture learned in the same
 * transaction as the capture's last chunk. Every statement is parameterised.
 */
export class BaselinePgStore implements BaselineStore {
  constructor(
    private readonly manager: EntityManager,
    /** The network `load()` reads when given none. */
    private readonly network?: string,
  ) {}

  get name(): string {
    return `baselines table${this.network ? ` (network ${this.network})` : ''}`;
  }

  async load(network = this.network): Promise<BaselineModel | null> {
    return (await this.loadVersioned(this.checked(network)))?.model ?? null;
  }

  /** The stored model and its version; `lock` takes the row (SELECT … FOR UPDATE) until the transaction ends. */
  async loadVersioned(network: string, lock = false): Promise<StoredBaseline | null> {
    const q = this.manager
      .getRepository(BaselineEntity)
      .createQueryBuilder('b')
      .where('b.network = :network', { network: this.checked(network) });
    if (lock) q.setLock('pessimistic_write');
    const row = await q.getOne();
    if (!row) return null;
    let model: BaselineModel;
    try {
      model = parseBaselineModel(row.model);
    } catch (err) {
      if (err instanceof BaselineModelError)
        throw new BaselineStoreError(`baseline ${network} (database): ${err.message}`);
      throw err;
    }
    if (model.network !== network)
      throw new BaselineStoreError(`baseline ${network} (database) holds network "${model.network}"`);
    return { model, version: row.version };
  }

  /** Inserts or replaces the model of `model.network` in one statement (version + 1). */
  async save(model: BaselineModel): Promise<void> {
    const m = normalizeBaselineModel(model);
    await this.manager.query(
      `INSERT INTO "baselines" ("network", "model", "packets", "updatedAt", "version") VALUES ($1, $2, $3, $4, 1)
       ON CONFLICT ("network") DO UPDATE SET "model" = EXCLUDED."model", "packets" = EXCLUDED."packets",
       "updatedAt" = EXCLUDED."updatedAt", "version" = "baselines"."version" + 1`,
      [this.checked(m.network), JSON.stringify(m), m.packets, new Date()],
    );
  }

  /**
   * Saves only when the stored version is still `expected` (null: no row yet): compare-and-set,
   * so a model learned from version N never overwrites what another capture saved meanwhile.
   * Returns false when the stored model moved on.
   */
  async saveIfVersion(model: BaselineModel, expected: number | null): Promise<boolean> {
    const m = normalizeBaselineModel(model);
    const network = this.checked(m.network);
    const now = new Date();
    const rows = (await this.manager.query(
      expected === null
        ? `INSERT INTO "baselines" ("network", "model", "packets", "updatedAt", "version") VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT ("network") DO NOTHING RETURNING "version"`
        : `UPDATE "baselines" SET "model" = $2, "packets" = $3, "updatedAt" = $4, "version" = "version" + 1
           WHERE "network" = $1 AND "version" = $5 RETURNING "version"`,
      expected === null
        ? [network, JSON.stringify(m), m.packets, now]
        : [network, JSON.stringify(m), m.packets, now, expected],
    )) as unknown;
    return returningRows(rows).length > 0;
  }

  private checked(network: string | undefined): string {
    if (network === undefined || !NETWORK_NAME.test(network))
      throw new BaselineStoreError(`baseline network must be 1-64 letters, digits, '.', '_' or '-'`);
    return network;
  }
}
