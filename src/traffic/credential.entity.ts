import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CaptureEntity } from '../captures/capture.entity';

/**
 * A credential seen in clear, from the plaintext-credentials detector's finding (same id): the
 * user name, the protocol and the MASKED secret only — the engine never holds the clear one.
 */
@Entity('credentials')
@Index(['captureId', 'clientIp'])
export class CredentialEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn({ type: 'char', length: 32 })
  findingId!: string;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  @Column('text')
  protocol!: string;

  @Column('text')
  clientIp!: string;

  @Column('text')
  serverIp!: string;

  @Column('int', { nullable: true })
  serverPort!: number | null;

  @Column('text', { nullable: true })
  user!: string | null;

  @Column('text', { nullable: true })
  method!: string | null;

  /** Masked form only (secret-mask.ts). */
  @Column('text', { nullable: true })
  maskedSecret!: string | null;

  /** succeeded | failed | unknown. */
  @Column('text')
  outcome!: string;

  @Column('int')
  attempts!: number;

  @Column('text')
  type!: string;

  @Column('text')
  severity!: string;

  @Column('timestamptz')
  firstSeen!: Date;

  @Column('timestamptz')
  lastSeen!: Date;
}
