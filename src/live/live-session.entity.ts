import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-types';
import type { CaptureEntity } from '../captures/capture.entity';

export const LIVE_STATUSES = ['running', 'stopping', 'stopped', 'failed'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];

/**
 * One live capture on one interface of one host: its settings, who runs it, and its counters.
 * Its packets go to one capture (source 'live') as chunks, like an upload's. The row outlives the
 * API process that runs it: `owner` is that process (null when it let go on shutdown); another
 * API on the same host takes the session up when the owner is gone (LIVE_RESUME).
 */
@Entity('live_sessions')
@Index(['host', 'status'])
export class LiveSessionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  captureId!: string;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  @Column('text')
  interface!: string;

  /** BPF filter ('' = every packet). */
  @Column('text', { default: '' })
  filter!: string;

  @Column('int')
  snaplen!: number;

  @Column('boolean')
  promiscuous!: boolean;

  @Column('int')
  bufferBytes!: number;

  @Column('int')
  chunkMs!: number;

  @Column('int')
  chunkPackets!: number;

  @Column('int')
  chunkBytes!: number;

  /** Link type libpcap reported at the first start (LINKTYPE_*). */
  @Column('int', { nullable: true })
  linkType!: number | null;

  /** The machine whose interface this is (os.hostname()): only an API there can run it. */
  @Column('text')
  host!: string;

  /** `hostname:pid` of the API process running it; null when nobody does. */
  @Column('text', { nullable: true })
  owner!: string | null;

  @Column('text')
  status!: LiveStatus;

  /** Asked to stop (by any API process); the owner stops it at its next report. */
  @Column('boolean', { default: false })
  stopRequested!: boolean;

  /** Why it stopped or failed, or what interrupted it. */
  @Column('text', { nullable: true })
  reason!: string | null;

  /** Packets and bytes cut into chunks (all runs of the session). */
  @Column('bigint', { transformer: bigintNumber, default: 0 })
  packets!: number;

  @Column('bigint', { transformer: bigintNumber, default: 0 })
  bytes!: number;

  /** libpcap counters, summed over the session's runs (each resume starts libpcap's at 0). */
  @Column('bigint', { transformer: bigintNumber, default: 0 })
  pcapReceived!: number;

  @Column('bigint', { transformer: bigintNumber, default: 0 })
  pcapDropped!: number;

  @Column('bigint', { transformer: bigintNumber, default: 0 })
  ifDropped!: number;

  @Column('int', { default: 0 })
  chunksCut!: number;

  /** Capture time of the newest packet cut into a chunk. */
  @Column('timestamptz', { nullable: true })
  lastPacketAt!: Date | null;

  /** How many times an API took the session up again after a restart. */
  @Column('int', { default: 0 })
  resumes!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  stoppedAt!: Date | null;

  /** Last report of its capture process (wall time): how orphans are recognised. */
  @Column('timestamptz', { nullable: true })
  heartbeatAt!: Date | null;
}
