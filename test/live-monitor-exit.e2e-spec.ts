import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROOT } from './support/paths';
import { waitFor } from './support/wait-for';

/**
 * `netwarden monitor` must end after Ctrl-C even when nothing arrives: node_pcap releases a
 * capture handle only on a dispatch that finds packets, so on a quiet interface the process
 * printed its totals and then stayed forever. The quiet interface is the loopback of a network
 * namespace of our own (needs root and `ip netns`).
 */
const ns = `nwlbt-${randomBytes(3).toString('hex')}`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const d = root ? describe : describe.skip;

d('netwarden monitor on a quiet interface', () => {
  beforeAll(() => {
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
  });

  it('exits with status 0 within 5 s of SIGINT and prints its totals', async () => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, join(ROOT, 'bin', 'netwarden.js'), 'monitor', 'lo'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the monitoring line', async () => (stderr.includes('monitoring lo') ? true : undefined), 15_000);
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'still running after 5 s'>((r) => {
        timer = setTimeout(() => r('still running after 5 s'), 5000);
      });
      const code = await Promise.race([exited, hung]);
      clearTimeout(timer);
      expect(code).toBe(0);
      expect(stderr).toContain(
        'netwarden: stopped (SIGINT): 0 packets (0 bytes) analysed; libpcap: 0 received, 0 dropped (buffer full), 0 dropped by the interface\n',
      );
      expect(stdout).toBe('no findings\n');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
