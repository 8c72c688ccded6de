import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Captures, their chunks, findings and API keys (issue 6). gen_random_uuid() is built into PostgreSQL 13+. */
export class CapturesFindings1764000000000 implements MigrationInterface {
  name = 'CapturesFindings1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "keyHash" character(64) NOT NULL, "prefix" text NOT NULL, "role" text NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "lastUsedAt" TIMESTAMP WITH TIME ZONE, "revokedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_df3b25181df0b4b59bd93f16e1" ON "api_keys" ("keyHash")`);
    await q.query(
      `CREATE TABLE "capture_chunks" ("captureId" uuid NOT NULL, "seq" integer NOT NULL, "file" text NOT NULL, "firstFrame" bigint NOT NULL, "packets" integer NOT NULL, "fileBytes" bigint NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "lastError" text, "worker" text, "durationMs" integer, "finishedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_ba9f72b37a55ddfcf67e7715d30" PRIMARY KEY ("captureId", "seq"))`,
    );
    await q.query(
      `CREATE TABLE "captures" ("id" uuid NOT NULL, "name" text NOT NULL, "source" text NOT NULL, "sha256" character(64), "format" text, "sizeBytes" bigint NOT NULL DEFAULT '0', "status" text NOT NULL, "reason" text, "errors" jsonb NOT NULL DEFAULT '[]', "chunksTotal" integer, "chunksDone" integer NOT NULL DEFAULT '0', "packets" bigint NOT NULL DEFAULT '0', "bytes" bigint NOT NULL DEFAULT '0', "firstSeen" TIMESTAMP WITH TIME ZONE, "lastSeen" TIMESTAMP WITH TIME ZONE, "detectors" jsonb, "state" bytea, "findingsDropped" integer NOT NULL DEFAULT '0', "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "startedAt" TIMESTAMP WITH TIME ZONE, "finishedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_857700c9fac22f0181b1fee6fc3" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_a7f1d1228445af063b3912cf68" ON "captures" ("sha256")`);
    await q.query(
      `CREATE TABLE "findings" ("id" character(32) NOT NULL, "captureId" uuid NOT NULL, "sortKey" bytea NOT NULL, "detector" text NOT NULL, "type" text NOT NULL, "severity" text NOT NULL, "severityRank" smallint NOT NULL, "title" text NOT NULL, "firstSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "lastSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "count" integer NOT NULL, "srcIp" text, "dstIp" text, "doc" json NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ae9807d6293c23c13ff8804d09c" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_1f483dc53f1e3ed0cedb12ddd0" ON "findings" ("detector")`);
    await q.query(`CREATE INDEX "IDX_5c0c17fdddf99846669841c4b8" ON "findings" ("severityRank")`);
    await q.query(`CREATE INDEX "IDX_972bdfb3d63f0ca9233cafdb51" ON "findings" ("lastSeen")`);
    await q.query(`CREATE INDEX "IDX_9db059b9acfe888284edb5cd38" ON "findings" ("srcIp")`);
    await q.query(`CREATE INDEX "IDX_4bc41731fcc0902662f59627e6" ON "findings" ("dstIp")`);
    await q.query(`CREATE INDEX "IDX_fd0b1fff20b90344e57947cdf3" ON "findings" ("captureId", "firstSeen", "sortKey")`);
    await q.query(
      `ALTER TABLE "capture_chunks" ADD CONSTRAINT "FK_78469946fd0247457a512912610" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "findings" ADD CONSTRAINT "FK_77dcabb22f5685f0962b5f81e9f" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "findings" DROP CONSTRAINT "FK_77dcabb22f5685f0962b5f81e9f"`);
    await q.query(`ALTER TABLE "capture_chunks" DROP CONSTRAINT "FK_78469946fd0247457a512912610"`);
    await q.query(`DROP INDEX "public"."IDX_fd0b1fff20b90344e57947cdf3"`);
    await q.query(`DROP INDEX "public"."IDX_4bc41731fcc0902662f59627e6"`);
    await q.query(`DROP INDEX "public"."IDX_9db059b9acfe888284edb5cd38"`);
    await q.query(`DROP INDEX "public"."IDX_972bdfb3d63f0ca9233cafdb51"`);
    await q.query(`DROP INDEX "public"."IDX_5c0c17fdddf99846669841c4b8"`);
    await q.query(`DROP INDEX "public"."IDX_1f483dc53f1e3ed0cedb12ddd0"`);
    await q.query(`DROP TABLE "findings"`);
    await q.query(`DROP INDEX "public"."IDX_a7f1d1228445af063b3912cf68"`);
    await q.query(`DROP TABLE "captures"`);
    await q.query(`DROP TABLE "capture_chunks"`);
    await q.query(`DROP INDEX "public"."IDX_df3b25181df0b4b59bd93f16e1"`);
    await q.query(`DROP TABLE "api_keys"`);
  }
}
