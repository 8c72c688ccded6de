import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ApiRole } from './roles';

export type { ApiRole };

/**
 * An API key, stored as SHA-256 of the key (keys are 32 random bytes, so a slow hash adds
 * nothing). `prefix` (the first characters) lets people tell keys apart without the secret.
 */
// The database refuses a role the code does not know (migration 1764000013100).
@Check('CHK_api_keys_role', `"role" IN ('read', 'analyst', 'admin')`)
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Index({ unique: true })
  @Column({ type: 'char', length: 64 })
  keyHash!: string;

  @Column('text')
  prefix!: string;

  @Column('text')
  role!: ApiRole;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;
}
