import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-types';

/**
 * One learned network baseline (the service's BaselineStore, BaselinePgStore): the model as the
 * JSON the file store writes, plus what a listing needs without parsing it. `version` counts
 * saves, so a capture that learned from version N only replaces the model if it is still N.
 */
@Entity('baselines')
export class BaselineEntity {
  /** The network / sensor name (NETWORK_NAME: 1-64 of letters, digits, . _ -). */
  @PrimaryColumn('text')
  network!: string;

  /** The normalised BaselineModel (netwarden-baseline format, version 1). */
  @Column('jsonb')
  model!: unknown;

  /** Packets learned into the model so far. */
  @Column('bigint', { transformer: bigintNumber })
  packets!: number;

  @Column('timestamptz')
  updatedAt!: Date;

  /** 1 on the first save, +1 on each later one. */
  @Column('int')
  version!: number;
}
