import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API key roles (issue 13): `analyst` joins `read` and `admin` (raw packet downloads and uploads
 * are no longer a read key's). api_keys.role stays text; the CHECK makes the database refuse a
 * role the code does not know, so a typo in a hand-made row cannot become a key nobody can reason
 * about (the access guard also lets an unknown role reach nothing).
 */
export class ApiKeyRoles1764000013100 implements MigrationInterface {
  name = 'ApiKeyRoles1764000013100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "CHK_api_keys_role" CHECK ("role" IN ('read', 'analyst', 'admin'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // analyst keys would become keys an older version cannot place: revoke them on the way down.
    await q.query(`UPDATE "api_keys" SET "revokedAt" = now() WHERE "role" = 'analyst' AND "revokedAt" IS NULL`);
    await q.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "CHK_api_keys_role"`);
  }
}
