import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Learned network baselines in PostgreSQL (one row per network, BaselinePgStore) and the
 * capture's choice of baseline and mode (upload `?baseline=NAME&baselineMode=…`).
 */
export class Baselines1764000012000 implements MigrationInterface {
  name = 'Baselines1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "baselines" ("network" text NOT NULL, "model" jsonb NOT NULL, "packets" bigint NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, "version" integer NOT NULL, CONSTRAINT "PK_5c7fe77c35ef6df5b45316a040c" PRIMARY KEY ("network"))`,
    );
    await q.query(`ALTER TABLE "captures" ADD "baselineNetwork" text`);
    await q.query(`ALTER TABLE "captures" ADD "baselineMode" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "captures" DROP COLUMN "baselineMode"`);
    await q.query(`ALTER TABLE "captures" DROP COLUMN "baselineNetwork"`);
    await q.query(`DROP TABLE "baselines"`);
  }
}
