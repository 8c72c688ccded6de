import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CaptureEntity } from '../captures/capture.entity';
import { bigintNumber } from '../database/column-types';

/**
 * A TLS server as seen with one leaf certificate (engine TlsRow). `id` is a digest of the row's
 * natural key (server ip, port, SNI, certificate, first frame): SNI is packet text of any length.
 */
@Entity('tls_servers')
@Index(['captureId', 'serverIp'])
export class TlsServerEntity {
  @PrimaryColumn('uuid')
  captureId!: string;

  @PrimaryColumn({ type: 'char', length: 32 })
  id!: string;

  @ManyToOne('CaptureEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'captureId' })
  capture?: CaptureEntity;

  @Column('text')
  serverIp!: string;

  @Column('int')
  serverPort!: number;

  @Column('text', { nullable: true })
  sni!: string | null;

  /** Leaf certificate SHA-256 (hex); null when none was seen (TLS 1.3). */
  @Index()
  @Column({ type: 'char', length: 64, nullable: true })
  sha256!: string | null;

  @Column('text', { nullable: true })
  subject!: string | null;

  @Column('text', { nullable: true })
  issuer!: string | null;

  /** As the certificate states it (ISO-8601 text from the parser). */
  @Column('text', { nullable: true })
  validFrom!: string | null;

  @Column('text', { nullable: true })
  validTo!: string | null;

  @Column('boolean', { nullable: true })
  selfSigned!: boolean | null;

  @Column('int', { nullable: true })
  version!: number | null;

  @Column('bigint', { transformer: bigintNumber })
  firstFrame!: number;

  @Column('bigint', { transformer: bigintNumber })
  lastFrame!: number;

  @Column('timestamptz')
  firstSeen!: Date;

  @Column('timestamptz')
  lastSeen!: Date;

  @Column('int')
  count!: number;
}
