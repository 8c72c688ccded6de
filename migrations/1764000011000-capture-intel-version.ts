import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * captures.intelVersion: the threat-intel index version a capture was pinned to at its first
 * chunk, so every chunk of it is analysed with the same indicators whichever worker runs it.
 */
export class CaptureIntelVersion1764000011000 implements MigrationInterface {
  name = 'CaptureIntelVersion1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "captures" ADD "intelVersion" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "captures" DROP COLUMN "intelVersion"`);
  }
}
