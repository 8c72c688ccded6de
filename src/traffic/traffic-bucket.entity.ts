import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CaptureEntity } from '../captures/capture.entity';
import { bigintNumber } from '../database/column-types';
import type { PacketsBytes } from '../engine/summary/summary-rows';

/**
 * Traffic in one minute of packet time (engine BucketRow); key = (capture, minute, first frame):
 * a bucket the collector expired and saw again gets a second row, so a minute's traffic is a sum.
 */
@Entity('traffic_buckets')
export class TrafficBucketEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn('timestamptz')
  minute!: Date;

  @PrimaryColumn('bigint', { transformer: bigintNumber })
  firstFrame!: number;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  @Column('bigint', { transformer: bigintNumber })
  packets!: number;

  @Column('bigint', { transformer: bigintNumber })
  bytes!: number;

  /** Keys are the engine's names (tcp, udp, icmp, arp, other), never packet text. */
  @Column('jsonb')
  protocols!: Record<string, PacketsBytes>;

  /** Keys are the dispatcher's protocol names (tls, http, dns, ...). */
  @Column('jsonb')
  apps!: Record<string, PacketsBytes>;
}
