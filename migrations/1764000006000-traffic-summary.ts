import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The traffic summary (issue 6): flows, hosts, TLS servers with their certificates, per-minute
 * traffic buckets and masked credentials, each row keyed by capture (cascade delete) + its
 * natural key, so a retried chunk's upsert rewrites rows instead of adding copies.
 */
export class TrafficSummary1764000006000 implements MigrationInterface {
  name = 'TrafficSummary1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "credentials" ("captureId" uuid NOT NULL, "findingId" character(32) NOT NULL, "protocol" text NOT NULL, "clientIp" text NOT NULL, "serverIp" text NOT NULL, "serverPort" integer, "user" text, "method" text, "maskedSecret" text, "outcome" text NOT NULL, "attempts" integer NOT NULL, "type" text NOT NULL, "severity" text NOT NULL, "firstSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "lastSeen" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d1e704a0c309d4fa3d8b0f3c678" PRIMARY KEY ("captureId", "findingId"))`,
    );
    await q.query(`CREATE INDEX "IDX_6e22e9c97b7727ac31dacf163f" ON "credentials" ("captureId", "clientIp")`);
    await q.query(
      `CREATE TABLE "flows" ("captureId" uuid NOT NULL, "firstFrame" bigint NOT NULL, "lastFrame" bigint NOT NULL, "transport" text NOT NULL, "clientIp" text NOT NULL, "clientPort" integer NOT NULL, "serverIp" text NOT NULL, "serverPort" integer NOT NULL, "app" text, "packetsToServer" bigint NOT NULL, "bytesToServer" bigint NOT NULL, "packetsToClient" bigint NOT NULL, "bytesToClient" bigint NOT NULL, "packets" bigint NOT NULL, "bytes" bigint NOT NULL, "firstSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "lastSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "flagsToServer" smallint NOT NULL, "flagsToClient" smallint NOT NULL, "state" text, "final" boolean NOT NULL, CONSTRAINT "PK_2ae71c3236aadc8fcfb5cc57032" PRIMARY KEY ("captureId", "firstFrame"))`,
    );
    await q.query(`CREATE INDEX "IDX_108d320c6468af4f97e50af278" ON "flows" ("captureId", "serverIp")`);
    await q.query(`CREATE INDEX "IDX_62da7d25c7b46d12f79d63da18" ON "flows" ("captureId", "clientIp")`);
    await q.query(
      `CREATE TABLE "hosts" ("captureId" uuid NOT NULL, "ip" text NOT NULL, "firstFrame" bigint NOT NULL, "macs" jsonb NOT NULL, "internal" boolean NOT NULL, "packetsSent" bigint NOT NULL, "bytesSent" bigint NOT NULL, "packetsReceived" bigint NOT NULL, "bytesReceived" bigint NOT NULL, "bytes" bigint NOT NULL, "firstSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "lastSeen" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c3a2acd9311e6b43e429cd3f755" PRIMARY KEY ("captureId", "ip", "firstFrame"))`,
    );
    await q.query(
      `CREATE TABLE "tls_servers" ("captureId" uuid NOT NULL, "id" character(32) NOT NULL, "serverIp" text NOT NULL, "serverPort" integer NOT NULL, "sni" text, "sha256" character(64), "subject" text, "issuer" text, "validFrom" text, "validTo" text, "selfSigned" boolean, "version" integer, "firstFrame" bigint NOT NULL, "lastFrame" bigint NOT NULL, "firstSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "lastSeen" TIMESTAMP WITH TIME ZONE NOT NULL, "count" integer NOT NULL, CONSTRAINT "PK_33ae8792bdcccc834345bf5f655" PRIMARY KEY ("captureId", "id"))`,
    );
    await q.query(`CREATE INDEX "IDX_68c3b220016bfab0c94955027f" ON "tls_servers" ("sha256")`);
    await q.query(`CREATE INDEX "IDX_8aae26b53f5df25ccf3107040f" ON "tls_servers" ("captureId", "serverIp")`);
    await q.query(
      `CREATE TABLE "traffic_buckets" ("captureId" uuid NOT NULL, "minute" TIMESTAMP WITH TIME ZONE NOT NULL, "firstFrame" bigint NOT NULL, "packets" bigint NOT NULL, "bytes" bigint NOT NULL, "protocols" jsonb NOT NULL, "apps" jsonb NOT NULL, CONSTRAINT "PK_9982e60795e760a14e57f099715" PRIMARY KEY ("captureId", "minute", "firstFrame"))`,
    );
    await q.query(
      `ALTER TABLE "credentials" ADD CONSTRAINT "FK_a9c77df693cfdc213bcbca3166b" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flows" ADD CONSTRAINT "FK_6755fe7a08f0cd31ae7510bbf84" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "hosts" ADD CONSTRAINT "FK_c60a236cf803b57d829413e1317" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "tls_servers" ADD CONSTRAINT "FK_8bad85ac11c05ac2a63bf85a39e" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "traffic_buckets" ADD CONSTRAINT "FK_1dc4c73770ede102d5b21e04caf" FOREIGN KEY ("captureId") REFERENCES "captures"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "traffic_buckets" DROP CONSTRAINT "FK_1dc4c73770ede102d5b21e04caf"`);
    await q.query(`ALTER TABLE "tls_servers" DROP CONSTRAINT "FK_8bad85ac11c05ac2a63bf85a39e"`);
    await q.query(`ALTER TABLE "hosts" DROP CONSTRAINT "FK_c60a236cf803b57d829413e1317"`);
    await q.query(`ALTER TABLE "flows" DROP CONSTRAINT "FK_6755fe7a08f0cd31ae7510bbf84"`);
    await q.query(`ALTER TABLE "credentials" DROP CONSTRAINT "FK_a9c77df693cfdc213bcbca3166b"`);
    await q.query(`DROP TABLE "traffic_buckets"`);
    await q.query(`DROP INDEX "public"."IDX_8aae26b53f5df25ccf3107040f"`);
    await q.query(`DROP INDEX "public"."IDX_68c3b220016bfab0c94955027f"`);
    await q.query(`DROP TABLE "tls_servers"`);
    await q.query(`DROP TABLE "hosts"`);
    await q.query(`DROP INDEX "public"."IDX_62da7d25c7b46d12f79d63da18"`);
    await q.query(`DROP INDEX "public"."IDX_108d320c6468af4f97e50af278"`);
    await q.query(`DROP TABLE "flows"`);
    await q.query(`DROP INDEX "public"."IDX_6e22e9c97b7727ac31dacf163f"`);
    await q.query(`DROP TABLE "credentials"`);
  }
}
