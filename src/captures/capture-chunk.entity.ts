import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-types';
import type { CaptureEntity } from './capture.entity';

/**
 * A run of whole packets of one capture, stored as a standalone capture file
 * (`<dataDir>/captures/<captureId>/<seq>.pcap|.pcapng`). Chunks are analysed strictly in `seq`
 * order; frame numbers stay global (`firstFrame`), so evidence export can find any frame.
 */
@Entity('capture_chunks')
export class CaptureChunkEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn('int')
  seq!: number;

  @ManyToOne('CaptureEntity', 'chunks', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  /** File name inside the capture's directory (never user-supplied). */
  @Column('text')
  file!: string;

  @Column('bigint', { transformer: bigintNumber })
  firstFrame!: number;

  @Column('int')
  packets!: number;

  /** Size of the chunk file. */
  @Column('bigint', { transformer: bigintNumber })
  fileBytes!: number;

  @Column('text', { default: 'pending' })
  status!: 'pending' | 'done';

  /** Deliveries of this chunk's job (more than one after a crash or a retry). */
  @Column('int', { default: 0 })
  attempts!: number;

  @Column('text', { nullable: true })
  lastError!: string | null;

  @Column('text', { nullable: true })
  worker!: string | null;

  @Column('int', { nullable: true })
  durationMs!: number | null;

  @Column('timestamptz', { nullable: true })
  finishedAt!: Date | null;

  /** The file was deleted by live retention (LIVE_RETAIN_*) after it was analysed. */
  @Column('timestamptz', { nullable: true })
  prunedAt!: Date | null;
}
