import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-types';
import type { BaselineMode } from '../engine/baseline/baseline-session';
import type { CaptureChunkEntity } from './capture-chunk.entity';

export const CAPTURE_STATUSES = ['receiving', 'queued', 'analysing', 'done', 'failed'] as const;
export type CaptureStatus = (typeof CAPTURE_STATUSES)[number];
export type CaptureSource = 'upload' | 'cli' | 'live';

/**
 * One source of packets (an uploaded file, a CLI run with --db, a live session). The capture's
 * packets live in its chunk files; `state` is the pipeline snapshot after `chunksDone` chunks,
 * encrypted (it can hold reassembled cleartext), so any worker can continue with the next chunk.
 */
@Entity('captures')
export class CaptureEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** The uploaded file's base name, sanitised (display only; never a path). */
  @Column('text')
  name!: string;

  @Column('text')
  source!: CaptureSource;

  /** SHA-256 of the capture bytes (after gzip decoding): same file, same capture unless forced. */
  @Index()
  @Column({ type: 'char', length: 64, nullable: true })
  sha256!: string | null;

  /** 'pcap' or 'pcapng'. */
  @Column('text', { nullable: true })
  format!: string | null;

  /** Capture bytes after decompression. */
  @Column('bigint', { transformer: bigintNumber, default: 0 })
  sizeBytes!: number;

  @Column('text')
  status!: CaptureStatus;

  /** Why the capture failed, or what was wrong with the input (truncated tail...). */
  @Column('text', { nullable: true })
  reason!: string | null;

  /** Reader errors (offset, message) — input damage after which the rest was not analysed. */
  @Column('jsonb', { default: () => "'[]'" })
  errors!: Array<{ offset: number; message: string }>;

  /** Null while chunks are still being cut (live sessions, uploads in flight). */
  @Column('int', { nullable: true })
  chunksTotal!: number | null;

  @Column('int', { default: 0 })
  chunksDone!: number;

  @Column('bigint', { transformer: bigintNumber, default: 0 })
  packets!: number;

  @Column('bigint', { transformer: bigintNumber, default: 0 })
  bytes!: number;

  /** Packet time of the first and last packet analysed so far. */
  @Column('timestamptz', { nullable: true })
  firstSeen!: Date | null;

  @Column('timestamptz', { nullable: true })
  lastSeen!: Date | null;

  /** Detector ids to run; null = all registered. */
  @Column('jsonb', { nullable: true })
  detectors!: string[] | null;

  /** Encrypted, compressed PipelineState after chunk `chunksDone - 1` (null before the first). */
  @Column('bytea', { nullable: true, select: false })
  state!: Buffer | null;

  @Column('int', { default: 0 })
  findingsDropped!: number;

  /**
   * The threat-intel index version (loadIntel's hash) current when the first chunk ran: every
   * later chunk is analysed with the same indicators, whichever worker takes it. Null before the
   * first chunk and for captures analysed without the service's feeds (`analyze --db`).
   */
  @Column('text', { nullable: true })
  intelVersion!: string | null;

  /**
   * The learned baseline (baselines.network) the network-baseline detector compares with and/or
   * learns into (upload `?baseline=NAME`); null = no baseline, the detector stays silent.
   */
  @Column('text', { nullable: true })
  baselineNetwork!: string | null;

  /** learn | detect | auto (upload `?baselineMode=`, default auto); null without a baseline. */
  @Column('text', { nullable: true })
  baselineMode!: BaselineMode | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  startedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  finishedAt!: Date | null;

  @OneToMany('CaptureChunkEntity', 'capture')
  chunks?: CaptureChunkEntity[];
}
