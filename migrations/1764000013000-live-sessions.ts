import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live capture (issue 7): one row per live session (interface, settings, owner process,
 * counters), and capture_chunks.prunedAt for chunk files deleted by live retention.
 */
export class LiveSessions1764000013000 implements MigrationInterface {
  name = 'LiveSessions1764000013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "live_sessions" ("id" uuid NOT NULL, "captureId" uuid NOT NULL, "interface" text NOT NULL, "filter" text NOT NULL DEFAULT '', "snaplen" integer NOT NULL, "promiscuous" boolean NOT NULL, "bufferBytes" integer NOT NULL, "chunkMs" integer NOT NULL, "chunkPackets" integer NOT NULL, "chunkBytes" integer NOT NULL, "linkType" integer, "host" text NOT NULL, "owner" text, "status" text NOT NULL, "stopRequested" boolean NOT NULL DEFAULT false, "reason" text, "packets" bigint NOT NULL DEFAULT '0', "bytes" bigint NOT NULL DEFAULT '0', "pcapReceived" bigint NOT NULL DEFAULT '0', "pcapDropped" bigint NOT NULL DEFAULT '0', "ifDropped" bigint NOT NULL DEFAULT '0', "chunksCut" integer NOT NULL DEFAULT '0', "lastPacketAt" TIMESTAMP WITH TIME ZONE, "resumes" integer NOT NULL DEFAULT '0', "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "stoppedAt" TIMESTAMP WITH TIME ZONE, "heartbeatAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_cc3225418b55b1e022dbfb6dca5" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_a1d0e8335758aa696555e6bfca" ON "live_sessions" ("host", "status") `);
    await q.query(`ALTER TABLE "capture_chunks" ADD "prunedAt" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `ALTER TABLE "live_sessions" ADD CONSTRAINT "FK_ff3df9aebe51fc77d71e3fb88f5" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "live_sessions" DROP CONSTRAINT "FK_ff3df9aebe51fc77d71e3fb88f5"`);
    await q.query(`ALTER TABLE "capture_chunks" DROP COLUMN "prunedAt"`);
    await q.query(`DROP INDEX "public"."IDX_a1d0e8335758aa696555e6bfca"`);
    await q.query(`DROP TABLE "live_sessions"`);
  }
}
