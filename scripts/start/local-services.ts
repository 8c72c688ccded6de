import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { databaseTarget, redisTarget } from '../../src/config/service-settings';
import type { Settings } from '../../src/config/settings';

export type LocalService = 'postgres' | 'redis';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Whether something accepts TCP connections there (within timeoutMs). */
export function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The loopback services DATABASE_URL / REDIS_URL name that do not answer: those scripts/services.sh may start. */
export async function downLocalServices(settings: Pick<Settings, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>) {
  const d = databaseTarget(settings.databaseUrl);
  const r = redisTarget(settings);
  const down: LocalService[] = [];
  if (isLoopback(d.host) && !(await reachable(d.host, d.port))) down.push('postgres');
  if (isLoopback(r.host) && !(await reachable(r.host, r.port))) down.push('redis');
  return down;
}

/**
 * Runs `bash scripts/services.sh` (installs when missing and starts PostgreSQL and Redis on
 * 127.0.0.1 — root needed for either) with the ports and database name of the settings, its
 * output passed through. Returns null on success, else why it failed.
 */
export function runServicesScript(
  root: string,
  settings: Pick<Settings, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>,
  args: string[] = [],
): string | null {
  const d = databaseTarget(settings.databaseUrl);
  const r = redisTarget(settings);
  const res = spawnSync('bash', [join(root, 'scripts', 'services.sh'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DATABASE_NAME: d.database, PGPORT: String(d.port), REDIS_PORT: String(r.port) },
  });
  if (res.error) return res.error.message;
  return res.status === 0 ? null : `scripts/services.sh exited with ${res.status ?? res.signal}`;
}
