import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CaptureEntity } from '../captures/capture.entity';
import { bigintNumber } from '../database/column-types';

/**
 * One address of a capture (engine HostRow); key = (capture, ip, first frame): a host evicted at
 * the collector's cap and seen again gets a second row, so totals per ip are sums.
 */
@Entity('hosts')
export class HostEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn('text')
  ip!: string;

  @PrimaryColumn('bigint', { transformer: bigintNumber })
  firstFrame!: number;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  /** Formatted by the engine (xx:xx:...), never packet text. */
  @Column('jsonb')
  macs!: string[];

  @Column('boolean')
  internal!: boolean;

  @Column('bigint', { transformer: bigintNumber })
  packetsSent!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytesSent!: number;

  @Column('bigint', { transformer: bigintNumber })
  packetsReceived!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytesReceived!: number;

  /** Sent + received, for sorting and top talkers. */
  @Column('bigint', { transformer: bigintNumber })
  bytes!: number;

  @Column('timestamptz')
  firstSeen!: Date;

  @Column('timestamptz')
  lastSeen!: Date;
}
