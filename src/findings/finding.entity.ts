import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Finding, Severity } from '../engine/finding';
import type { CaptureEntity } from '../captures/capture.entity';

/**
 * A finding as the engine made it (`doc`, the exact JSON `analyze --json` prints), plus the
 * columns the API filters and sorts on. The id is the engine's deterministic id (capture +
 * detector + key), so a retried chunk upserts instead of duplicating.
 */
@Entity('findings')
@Index(['captureId', 'firstSeen', 'sortKey'])
export class FindingEntity {
  @PrimaryColumn({ type: 'char', length: 32 })
  id!: string;

  @Column('uuid')
  captureId!: string;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  /**
   * detector + NUL + the detector's key — the engine's tie-break after first seen — as UTF-16BE
   * bytes: bytea compares bytewise, which is exactly JavaScript's string order (text would sort
   * by collation, and cannot hold the NUL).
   */
  @Column('bytea')
  sortKey!: Buffer;

  @Index()
  @Column('text')
  detector!: string;

  @Column('text')
  type!: string;

  @Column('text')
  severity!: Severity;

  /** 0 info … 4 critical, for `severity >= x` filters. */
  @Index()
  @Column('smallint')
  severityRank!: number;

  @Column('text')
  title!: string;

  /** Packet time with microseconds (timestamptz keeps them; the ISO text is in doc). */
  @Column('timestamptz')
  firstSeen!: Date;

  @Index()
  @Column('timestamptz')
  lastSeen!: Date;

  @Column('int')
  count!: number;

  @Index()
  @Column('text', { nullable: true })
  srcIp!: string | null;

  @Index()
  @Column('text', { nullable: true })
  dstIp!: string | null;

  /**
   * `json`, not `jsonb`: jsonb refuses \u0000, which packet-derived strings may hold, and json
   * keeps the text as written. The columns above are for filters (NUL replaced, see pgText).
   */
  @Column('json')
  doc!: Finding;

  @Column('timestamptz', { default: () => 'now()' })
  updatedAt!: Date;
}
