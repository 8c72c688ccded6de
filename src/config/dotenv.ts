import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` from the working directory into `env` (process.env) when the file exists, with
 * node's own parser (util.parseEnv, the one behind --env-file). Variables already set win, so
 * compose or a shell can override the file. Returns the path read, or null.
 */
export function loadDotEnv(dir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | null {
  const path = resolve(dir, '.env');
  if (!existsSync(path)) return null;
  for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (env[name] === undefined) env[name] = value;
  }
  return path;
}
