import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureJob, FromCapture } from '../src/live/capture-process-protocol';
import { ROOT } from './support/paths';
import { waitFor } from './support/wait-for';

/**
 * The live capturers run by hand on the loopback of a network namespace of our own (quiet unless
 * we ping in it; needs root and `ip netns`):
 * - `netwarden monitor` must end after Ctrl-C even when nothing arrives: node_pcap releases a
 *   capture handle only on a dispatch that finds packets, so the process printed its totals and
 *   then stayed forever;
 * - the service's capture process without an IPC channel prints its messages on stderr, so its
 *   final counters can be read (the bench does).
 */
const ns = `nwlbt-${randomBytes(3).toString('hex')}`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const d = root ? describe : describe.skip;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function inNamespace(args: string[]): Run {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** SIGINT, then the exit status, or 'still running after 5 s'. */
async function interrupt(run: Run): Promise<number | null | string> {
  run.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((r) => {
    timer = setTimeout(() => r('still running after 5 s'), 5000);
  });
  const code = await Promise.race([run.exited, hung]);
  clearTimeout(timer);
  return code;
}

function kill(run: Run): void {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
}

d('live capturers run by hand', () => {
  beforeAll(() => {
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
  });

  it('netwarden monitor on a quiet interface exits with status 0 within 5 s of SIGINT and prints its totals', async () => {
    const run = inNamespace([process.execPath, join(ROOT, 'bin', 'netwarden.js'), 'monitor', 'lo']);
    try {
      await waitFor(
        'the monitoring line',
        async () => (run.stderr().includes('monitoring lo') ? true : undefined),
        15_000,
      );
      expect(await interrupt(run)).toBe(0);
      expect(run.stderr()).toContain(
        'netwarden: stopped (SIGINT): 0 packets (0 bytes) analysed; libpcap: 0 received, 0 dropped (buffer full), 0 dropped by the interface\n',
      );
      expect(run.stdout()).toBe('no findings\n');
    } finally {
      kill(run);
    }
  });

  it('the capture process without a parent writes its messages, final counters included, to stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-live-standalone-'));
    const job: CaptureJob = {
      iface: 'lo',
      filter: 'icmp',
      snaplen: 262_144,
      promiscuous: true,
      bufferBytes: 4 * 1024 * 1024,
      chunkMs: 60_000,
      chunkPackets: 100_000,
      chunkBytes: 16 * 1024 * 1024,
      dir,
      firstSeq: 1,
      firstFrame: 1,
      statsMs: 60_000,
    };
    const run = inNamespace([
      process.execPath,
      join(ROOT, 'dist', 'src', 'live', 'capture-process.js'),
      JSON.stringify(job),
    ]);
    try {
      await waitFor('the ready message', async () => (run.stderr().includes('"ready"') ? true : undefined), 15_000);
      // 3 echo requests and 3 replies of 98 bytes (56 bytes of data), each seen once on lo.
      const ping = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-q', '127.0.0.1']);
      expect(ping.status).toBe(0);
      await new Promise((r) => setTimeout(r, 300)); // libpcap hands packets over within 100 ms
      expect(await interrupt(run)).toBe(0);
      const messages = run
        .stderr()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as FromCapture);
      expect(messages.map((m) => m.type)).toEqual(['ready', 'stats', 'chunk', 'ended']);
      expect(messages[0]).toEqual({ type: 'ready', linkType: 1 });
      expect(messages[2]).toMatchObject({ type: 'chunk', seq: 1, file: '000001.pcap', firstFrame: 1, packets: 6 });
      expect(messages[2]).toMatchObject({ fileBytes: 24 + 6 * (16 + 98), closing: false });
      expect(messages[3]).toMatchObject({ type: 'ended', closing: false, packets: 6, bytes: 6 * 98, dropped: 0 });
      expect(readdirSync(dir)).toEqual(['000001.pcap']);
      expect(statSync(join(dir, '000001.pcap')).size).toBe(24 + 6 * (16 + 98));
    } finally {
      kill(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
