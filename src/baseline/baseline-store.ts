import type { BaselineModel } from '../engine/baseline/baseline-model';

/**
 * Where learned baselines live between analyses. The CLI keeps one in a JSON file
 * (BaselineFileStore); the service will keep them in PostgreSQL, one row per network, behind
 * the same interface.
 */
export interface BaselineStore {
  /**
   * The stored model of `network` (any network when undefined, for a store that holds one), or
   * null when nothing was stored yet. Throws BaselineStoreError for unreadable, corrupt,
   * wrong-version or wrong-network data.
   */
  load(network?: string): Promise<BaselineModel | null>;
  /** Stores the model atomically: a reader sees the old or the new one, never a mix. */
  save(model: BaselineModel): Promise<void>;
  /** Names the store in messages (a path, a table). */
  readonly name: string;
}

/** A one-line reason the stored baseline cannot be used. */
export class BaselineStoreError extends Error {}
