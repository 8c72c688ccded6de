import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Reads `.env` from the working directory into process.env when the file exists (node's own
 * parser, process.loadEnvFile). Variables already set in the environment win, so compose or a
 * shell can override the file. Returns the path read, or null.
 */
export function loadDotEnv(dir: string = process.cwd()): string | null {
  const path = resolve(dir, '.env');
  if (!existsSync(path)) return null;
  process.loadEnvFile(path);
  return path;
}
