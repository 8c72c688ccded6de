import type { EntityManager } from 'typeorm';
import { CaptureEntity } from './capture.entity';
import { BaselinePgStore } from '../baseline/baseline-pg.store';
import { BaselineStoreError } from '../baseline/baseline-store';
import { emptyBaselineModel, type BaselineModel } from '../engine/baseline/baseline-model';
import type { BaselineMode } from '../engine/baseline/baseline-session';

/**
 * A capture's network baseline in the service (upload `?baseline=NAME&baselineMode=…`): the
 * model as stored when the capture's first chunk ran, carried (sealed) in the capture's state
 * so every chunk compares with the same model whichever worker runs it — never re-read per
 * chunk — and what the capture learned saved at its last chunk, in that chunk's transaction.
 */
export interface CarriedBaseline {
  /** The model the capture started from (the detector's own working copy is in its snapshot). */
  model: BaselineModel;
  /** The stored row's version then (null: no row yet): the save is refused if it moved on. */
  version: number | null;
}

export interface BaselineStart {
  /** null: the detector runs without a baseline (detect mode with nothing learned yet). */
  carried: CarriedBaseline | null;
  /** A line for capture.errors when the baseline could not be used. */
  note?: string;
}

/**
 * Another capture is learning into the same network: this one's first chunk waits (the worker
 * delays the job without using an attempt; `analyze --db` sleeps), so captures learn one after
 * the other, each from the model the previous one saved — as `analyze --baseline F --learn A B`.
 */
export class BaselineBusyError extends Error {
  constructor(
    readonly network: string,
    readonly learningCapture: string,
  ) {
    super(`baseline ${network} is being learned by capture ${learningCapture}; this capture starts after it`);
  }
}

/**
 * Before a learn/auto capture's first chunk: refuses (BaselineBusyError) while another capture of
 * the network is learning. A transaction-scoped advisory lock on the network makes the check and
 * this chunk's commit (status analysing) one step, so two first chunks cannot both pass.
 */
export async function claimBaselineForLearning(tx: EntityManager, captureId: string, network: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`netwarden-baseline:${network}`]);
  const other = await tx
    .getRepository(CaptureEntity)
    .createQueryBuilder('c')
    .select('c.id')
    .where('c.baselineNetwork = :network', { network })
    .andWhere('c.baselineMode IN (:...modes)', { modes: ['learn', 'auto'] })
    .andWhere('c.status = :status', { status: 'analysing' })
    .andWhere('c.id <> :id', { id: captureId })
    .orderBy('c.startedAt', 'ASC')
    .getOne();
  if (other) throw new BaselineBusyError(network, other.id);
}

/** At the first chunk: the stored model of `network` (a new one for learn/auto when none is stored). */
export async function startCaptureBaseline(
  tx: EntityManager,
  network: string,
  mode: BaselineMode,
): Promise<BaselineStart> {
  let stored;
  try {
    stored = await new BaselinePgStore(tx).loadVersioned(network);
  } catch (err) {
    if (err instanceof BaselineStoreError) return { carried: null, note: `${err.message}; not used` };
    throw err;
  }
  if (mode === 'detect' && (stored === null || stored.model.packets === 0))
    return {
      carried: null,
      note: `baseline ${network} holds nothing learned yet (upload with baselineMode=learn first); the network-baseline detector did not run`,
    };
  return stored ? { carried: stored } : { carried: { model: emptyBaselineModel(network), version: null } };
}

/**
 * At the last chunk: stores what the capture learned, with the row locked (SELECT … FOR UPDATE),
 * only when the stored model is still the one the capture started from — as `analyze --baseline`
 * saves over its file. If another capture of the same network saved meanwhile, its model stays
 * and this capture's learning is not saved: returns the line for capture.errors.
 */
export async function saveCaptureBaseline(
  tx: EntityManager,
  carried: CarriedBaseline,
  learned: BaselineModel,
): Promise<string | null> {
  const store = new BaselinePgStore(tx);
  const network = carried.model.network;
  const now = await store.loadVersioned(network, true);
  const saved = (now?.version ?? null) === carried.version && (await store.saveIfVersion(learned, carried.version));
  if (saved) return null;
  return (
    `baseline ${network}: another capture saved the model while this one learned ` +
    `(version ${carried.version ?? 'none'} → ${now?.version ?? 'new'}); what this capture learned was not saved (upload it again to learn it)`
  );
}
