import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CaptureEntity } from '../captures/capture.entity';
import { bigintNumber } from '../database/column-types';

/** One connection or flow of a capture (engine FlowRow); key = (capture, first frame). */
@Entity('flows')
@Index(['captureId', 'clientIp'])
@Index(['captureId', 'serverIp'])
export class FlowEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn('bigint', { transformer: bigintNumber })
  firstFrame!: number;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  @Column('bigint', { transformer: bigintNumber })
  lastFrame!: number;

  @Column('text')
  transport!: string;

  @Column('text')
  clientIp!: string;

  @Column('int')
  clientPort!: number;

  @Column('text')
  serverIp!: string;

  @Column('int')
  serverPort!: number;

  @Column('text', { nullable: true })
  app!: string | null;

  @Column('bigint', { transformer: bigintNumber })
  packetsToServer!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytesToServer!: number;

  @Column('bigint', { transformer: bigintNumber })
  packetsToClient!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytesToClient!: number;

  /** Both ways, for sorting. */
  @Column('bigint', { transformer: bigintNumber })
  packets!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytes!: number;

  @Column('timestamptz')
  firstSeen!: Date;

  @Column('timestamptz')
  lastSeen!: Date;

  @Column('smallint')
  flagsToServer!: number;

  @Column('smallint')
  flagsToClient!: number;

  @Column('text', { nullable: true })
  state!: string | null;

  @Column('boolean')
  final!: boolean;
}
