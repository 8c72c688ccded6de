import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `netwarden` exactly as `npx netwarden` would (bin/netwarden.js → dist/). */
export function runCli(args: string[], input?: Buffer): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'netwarden.js'), ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
