import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait-for';

/**
 * A redis-server of the test's own on a free loopback port, for suites that stop or restart
 * Redis under the service — never the shared one other suites are using.
 */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Keeps nothing on disk, as in production: a restart comes back empty. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    'redis-server ready',
    async () => (/Ready to accept connections/.test(out) ? true : undefined),
    10_000,
    50,
  );
  return proc;
}
