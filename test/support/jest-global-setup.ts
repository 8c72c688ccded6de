import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES_FILE_ENV } from './test-resources';

/** Names this run's resource list (test-resources.ts); the test workers inherit the variable. */
export default function globalSetup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'netwarden-jest-'));
  process.env[RESOURCES_FILE_ENV] = join(dir, 'resources.tsv');
}
