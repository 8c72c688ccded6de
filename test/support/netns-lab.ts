import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../src/engine/finding';
import { ROOT } from './paths';

/**
 * A small network of our own for live-capture tests, made of Linux network namespaces:
 *
 *   gateway 10.77.0.1   victim 10.77.0.10   server 10.77.0.20   attacker 10.77.0.66   monitor (no address)
 *        \                  |                     |                  |                  /
 *         +--------- br0 in its own namespace, a hub: ageing_time 0, so it floods every frame -----+
 *
 * The monitor's port sees every frame between the others, as a SPAN port would. Each host has
 * eth0 (a veth whose peer is a bridge port) with a fixed, locally administered MAC, IPv6 off
 * (no router solicitations or neighbour discovery to muddy exact finding sets). Every
 * namespace and host-side interface name carries a per-run prefix made of this process's pid and
 * random characters, so concurrent runs never touch each other's; traffic goes only between the
 * addresses above, inside these namespaces. Commands run as argument vectors
 * (`ip netns exec NS CMD ARGS…`), never shell strings. Background processes are tracked and
 * ended at teardown, which deletes every namespace even after a failed setup or test.
 */

export type HostName = 'gateway' | 'victim' | 'server' | 'attacker' | 'monitor';

export const LAB_HOSTS: Record<HostName, { ip: string | null; mac: string }> = {
  gateway: { ip: '10.77.0.1', mac: '02:77:00:00:00:01' },
  victim: { ip: '10.77.0.10', mac: '02:77:00:00:00:0a' },
  server: { ip: '10.77.0.20', mac: '02:77:00:00:00:14' },
  attacker: { ip: '10.77.0.66', mac: '02:77:00:00:00:42' },
  monitor: { ip: null, mac: '02:77:00:00:00:fe' },
};
const PREFIX_LEN = 24;

/** Debian's own python3 (pyftpdlib is a Debian package; a pyenv or venv python3 on PATH lacks it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** What the tests run, and the Debian package each comes from (a missing one fails with its name). */
export const REQUIRED_TOOLS: Array<{ what: string; path?: string; command?: string; apt: string }> = [
  { what: 'ip', command: 'ip', apt: 'iproute2' },
  { what: 'nmap', command: 'nmap', apt: 'nmap' },
  { what: 'hping3', command: 'hping3', apt: 'hping3' },
  { what: 'arpspoof', command: 'arpspoof', apt: 'dsniff' },
  { what: 'tcpreplay', command: 'tcpreplay', apt: 'tcpreplay' },
  { what: 'ping', command: 'ping', apt: 'iputils-ping' },
  { what: 'curl', command: 'curl', apt: 'curl' },
  { what: 'setpriv', command: 'setpriv', apt: 'util-linux' },
  { what: 'tcpdump', command: 'tcpdump', apt: 'tcpdump' },
  { what: 'ss', command: 'ss', apt: 'iproute2' },
  { what: 'timeout', command: 'timeout', apt: 'coreutils' },
  { what: SYSTEM_PYTHON, path: SYSTEM_PYTHON, apt: 'python3' },
  { what: 'pyftpdlib', path: '/usr/lib/python3/dist-packages/pyftpdlib', apt: 'python3-pyftpdlib' },
];

/** PATH for the tools, with the sbin directories (hping3, arpspoof live there) even when the caller's PATH lacks them. */
const LAB_PATH = [
  ...new Set([...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter((d) => d !== '')),
].join(':');
const LAB_ENV = { ...process.env, PATH: LAB_PATH, FORCE_COLOR: '0' };

function onPath(cmd: string): boolean {
  return LAB_PATH.split(':').some((d) => existsSync(join(d, cmd)));
}

/** What the lab lacks on this machine (root, tools), as one message with the apt-get line; null when nothing. */
export function labPrerequisitesMissing(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'the live-capture lab needs root (it creates network namespaces)';
  const missing = REQUIRED_TOOLS.filter((t) => (t.path ? !existsSync(t.path) : !onPath(t.command!)));
  if (missing.length === 0) return null;
  const pkgs = [...new Set(missing.map((t) => t.apt))].join(' ');
  return (
    `the live-capture lab needs ${missing.map((t) => `${t.what} (Debian package ${t.apt})`).join(', ')}: ` +
    `apt-get install -y ${pkgs}`
  );
}

/** Throws labPrerequisitesMissing()'s message. */
export function assertLabTools(): void {
  const missing = labPrerequisitesMissing();
  if (missing !== null) throw new Error(missing);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill (SIGKILL) after this long; the result then has signal SIGKILL. Default 30 s. */
  timeoutMs?: number;
}

/** Runs argv (no shell) to completion, collecting its output. */
export function execArgv(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: LAB_ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function mustRun(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult> {
  const r = await execArgv(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(
      `${[cmd, ...args].join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r;
}

/** A process running in the background in a namespace; ended at teardown if still running. */
export interface BackgroundProcess {
  proc: ChildProcess;
  argv: string[];
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM), SIGKILL after `graceMs`; resolves when it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LAB_TAG = 'nwlab';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function listNamespaces(): Promise<string[]> {
  const r = await mustRun('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n !== undefined && n !== '');
}

async function deleteNamespace(ns: string): Promise<void> {
  // Processes still inside (a tool the test started that outlived its parent): ended by pid.
  const pids = await execArgv('ip', ['netns', 'pids', ns]);
  for (const p of pids.stdout.split('\n').map((s) => Number(s.trim()))) {
    if (Number.isInteger(p) && p > 0) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  await execArgv('ip', ['netns', 'del', ns]);
}

/**
 * Namespaces left behind by an earlier run of this harness that was killed before its teardown:
 * named nwlab-<pid>-… by a process that no longer exists. Only this harness's own names.
 */
async function sweepStale(): Promise<void> {
  for (const ns of await listNamespaces()) {
    const m = new RegExp(`^${LAB_TAG}-([0-9a-z]+)-[0-9a-z]+-`).exec(ns);
    if (m && !pidAlive(parseInt(m[1], 36))) await deleteNamespace(ns);
  }
}

export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly background = new Set<BackgroundProcess>();
  private extra = 0;
  private tornDown = false;

  private constructor(
    /** In namespace names: nwlab-<pid base 36>-<random>. */
    readonly nsPrefix: string,
    /** In host-side interface names (≤ 15 characters with a suffix of up to 4). */
    readonly ifPrefix: string,
  ) {}

  /** Builds the bridge and the five hosts; on any failure deletes what it made and rethrows. */
  static async start(): Promise<NetnsLab> {
    assertLabTools();
    await sweepStale();
    const pid = process.pid.toString(36);
    const rand = Math.random().toString(36).slice(2, 5).padEnd(3, '0');
    const lab = new NetnsLab(`${LAB_TAG}-${pid}-${rand}`, `nl${pid}${rand}`);
    try {
      await lab.build();
    } catch (err) {
      await lab.teardown();
      throw err;
    }
    return lab;
  }

  /** The namespace of a lab host, or of an extra namespace made by vethPair. */
  ns(host: HostName | string): string {
    return `${this.nsPrefix}-${host}`;
  }

  ip(host: HostName): string {
    const ip = LAB_HOSTS[host].ip;
    if (ip === null) throw new Error(`${host} has no address`);
    return ip;
  }

  mac(host: HostName): string {
    return LAB_HOSTS[host].mac;
  }

  private async addNamespace(name: string): Promise<string> {
    const ns = this.ns(name);
    await mustRun('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await mustRun('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    // No IPv6 (set before any interface exists, so "default" covers the veths moved in later).
    for (const k of ['all', 'default'])
      await mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`]);
    return ns;
  }

  private async build(): Promise<void> {
    const sw = await this.addNamespace('sw');
    const inSw = (...args: string[]) => mustRun('ip', ['netns', 'exec', sw, 'ip', ...args]);
    await inSw('link', 'add', 'br0', 'type', 'bridge', 'ageing_time', '0', 'stp_state', '0', 'mcast_snooping', '0');
    await inSw('link', 'set', 'br0', 'up');
    let i = 0;
    for (const host of Object.keys(LAB_HOSTS) as HostName[]) {
      const ns = await this.addNamespace(host);
      const port = `${this.ifPrefix}p${i++}`;
      await mustRun('ip', ['link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await mustRun('ip', ['link', 'set', port, 'netns', sw]);
      await inSw('link', 'set', port, 'master', 'br0');
      await inSw('link', 'set', port, 'up');
      const inHost = (...args: string[]) => mustRun('ip', ['netns', 'exec', ns, 'ip', ...args]);
      await inHost('link', 'set', 'eth0', 'address', LAB_HOSTS[host].mac);
      const ip = LAB_HOSTS[host].ip;
      if (ip !== null) await inHost('addr', 'add', `${ip}/${PREFIX_LEN}`, 'dev', 'eth0');
      await inHost('link', 'set', 'eth0', 'up');
    }
    // No default routes: nothing exists beyond 10.77.0.0/24, and a host that tried an address off
    // it (a resolver from /etc/resolv.conf, for one) must fail locally rather than send to the
    // gateway. The gateway routes nothing; it only answers ARP and pings.
    await this.run('gateway', 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
  }

  /**
   * A veth pair of its own, each end (eth0) in a new namespace, no addresses, IPv6 off: frames
   * written on one end (tcpreplay) arrive on the other (the monitor) and nothing else is sent.
   * MTU 65535: captures made on veths hold GSO-sized frames, which tcpreplay must send whole.
   */
  async vethPair(): Promise<{ sendNs: string; monitorNs: string; iface: string }> {
    const n = this.extra++;
    const sendNs = await this.addNamespace(`tx${n}`);
    const monitorNs = await this.addNamespace(`rx${n}`);
    await mustRun('ip', [
      'link',
      'add',
      `${this.ifPrefix}t${n}`,
      'type',
      'veth',
      'peer',
      'name',
      `${this.ifPrefix}r${n}`,
    ]);
    await mustRun('ip', ['link', 'set', `${this.ifPrefix}t${n}`, 'netns', sendNs]);
    await mustRun('ip', ['link', 'set', `${this.ifPrefix}r${n}`, 'netns', monitorNs]);
    for (const [ns, name] of [
      [sendNs, `${this.ifPrefix}t${n}`],
      [monitorNs, `${this.ifPrefix}r${n}`],
    ]) {
      await mustRun('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', name, 'name', 'eth0']);
      await mustRun('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'mtu', '65535', 'up']);
    }
    return { sendNs, monitorNs, iface: 'eth0' };
  }

  private nsOf(where: HostName | string): string {
    return where.startsWith(`${this.nsPrefix}-`) ? where : this.ns(where);
  }

  /** Runs CMD ARGS in a host's namespace (a HostName or a namespace name) to completion. */
  exec(where: HostName | string, cmd: string, args: string[] = [], opts?: RunOptions): Promise<RunResult> {
    return execArgv('ip', ['netns', 'exec', this.nsOf(where), cmd, ...args], opts);
  }

  /** exec, throwing (with the command's stderr) unless it exits 0. */
  run(where: HostName | string, cmd: string, args: string[] = [], opts?: RunOptions): Promise<RunResult> {
    return mustRun('ip', ['netns', 'exec', this.nsOf(where), cmd, ...args], opts);
  }

  /** Starts CMD ARGS in the background in a namespace; `ip netns exec` execs it, so the pid is the command's. */
  spawn(where: HostName | string, cmd: string, args: string[] = []): BackgroundProcess {
    const argv = ['netns', 'exec', this.nsOf(where), cmd, ...args];
    const proc = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: LAB_ENV });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.once('error', () => resolve({ code: null, signal: null }));
      proc.once('close', (code, signal) => resolve({ code, signal }));
    });
    const bg: BackgroundProcess = {
      proc,
      argv: [cmd, ...args],
      stdout: () => out,
      stderr: () => err,
      exited,
      stop: async (signal = 'SIGTERM', graceMs = 3000) => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill(signal);
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          const r = await exited;
          clearTimeout(t);
          return r;
        }
        return exited;
      },
    };
    this.background.add(bg);
    void exited.then(() => this.background.delete(bg));
    return bg;
  }

  /** Forgets every host's ARP entries, so a scenario starts as on a fresh network. */
  async flushNeighbours(): Promise<void> {
    for (const host of ['gateway', 'victim', 'server', 'attacker'] as HostName[])
      await this.run(host, 'ip', ['neigh', 'flush', 'all']);
  }

  /** Ends background processes, then deletes every namespace made (which removes their interfaces). Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await Promise.all([...this.background].map((b) => b.stop('SIGTERM', 2000)));
    for (const ns of this.namespaces.reverse()) await deleteNamespace(ns);
    const left = (await listNamespaces()).filter((n) => n.startsWith(`${this.nsPrefix}-`));
    if (left.length > 0) throw new Error(`namespaces left after teardown: ${left.join(', ')}`);
  }
}

/** Polls `cond` every 50 ms until true; throws naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The totals `netwarden monitor` prints on stderr when it stops. */
export interface MonitorTotals {
  why: string;
  packets: number;
  bytes: number;
  received: number;
  dropped: number;
  ifDropped: number;
}

export interface MonitorResult {
  /** One per finding id: the last line printed with that id (a finding is printed again when it changes). */
  findings: Finding[];
  /** JSON lines printed in all. */
  lines: number;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  totals: MonitorTotals | null;
  /** Wall-clock ms: when it said it was capturing (0 if it never did), when it exited, and how long stopping took. */
  capturingAt: number;
  exitedAt: number;
  stopMs: number;
}

export function parseTotals(stderr: string): MonitorTotals | null {
  const m =
    /netwarden: stopped \(([^)]+)\): (\d+) packets \((\d+) bytes\) analysed; libpcap: (\d+) received, (\d+) dropped \(buffer full\), (\d+) dropped by the interface/.exec(
      stderr,
    );
  if (!m) return null;
  const [, why, packets, bytes, received, dropped, ifDropped] = m;
  return {
    why,
    packets: Number(packets),
    bytes: Number(bytes),
    received: Number(received),
    dropped: Number(dropped),
    ifDropped: Number(ifDropped),
  };
}

/** --jsonl output: the last line per finding id, in first-printed order. */
export function latestFindings(stdout: string): { findings: Finding[]; lines: number } {
  const byId = new Map<string, Finding>();
  let lines = 0;
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const f = JSON.parse(line) as Finding;
    lines++;
    byId.set(f.id, f);
  }
  return { findings: [...byId.values()], lines };
}

export interface MonitorOptions {
  /** Namespace (host name or full namespace name) and interface; default the monitor host's eth0. */
  where?: HostName | string;
  iface?: string;
  /** Further `monitor` arguments (--jsonl is always given). */
  args?: string[];
  /** Until the "monitoring" line (default 15 s). */
  startTimeoutMs?: number;
}

export interface RunningMonitor {
  bg: BackgroundProcess;
  /** False when it exited before capturing (a bad interface or filter, no permission). */
  capturing: boolean;
  /**
   * Waits `settleMs`, sends `signal` (default SIGINT, as Ctrl-C), SIGKILL if it has not exited
   * 10 s later (the result then shows signal SIGKILL), and returns what it printed.
   */
  stop(o?: { signal?: NodeJS.Signals; settleMs?: number }): Promise<MonitorResult>;
}

/** The built CLI, as `npx netwarden` runs it. */
export const NETWARDEN = join(ROOT, 'bin', 'netwarden.js');

/** Starts `netwarden monitor IFACE --jsonl` (the built binary) in a namespace; resolves once it captures or has exited. */
export async function startMonitor(lab: NetnsLab, o: MonitorOptions = {}): Promise<RunningMonitor> {
  const bg = lab.spawn(o.where ?? 'monitor', process.execPath, [
    NETWARDEN,
    'monitor',
    o.iface ?? 'eth0',
    '--jsonl',
    ...(o.args ?? []),
  ]);
  let exited = false;
  void bg.exited.then(() => (exited = true));
  try {
    await until(
      'netwarden monitor to start capturing',
      () => exited || bg.stderr().includes('netwarden: monitoring '),
      o.startTimeoutMs ?? 15_000,
    );
  } catch (err) {
    await bg.stop('SIGKILL');
    throw err;
  }
  const capturing = bg.stderr().includes('netwarden: monitoring ');
  const capturingAt = capturing ? Date.now() : 0;
  return {
    bg,
    capturing,
    stop: async ({ signal = 'SIGINT', settleMs = 0 } = {}) => {
      if (settleMs > 0) await sleep(settleMs);
      const t = Date.now();
      const { code, signal: sig } = await bg.stop(signal, 10_000);
      const exitedAt = Date.now();
      const { findings, lines } = latestFindings(bg.stdout());
      return {
        findings,
        lines,
        stdout: bg.stdout(),
        stderr: bg.stderr(),
        code,
        signal: sig,
        totals: parseTotals(bg.stderr()),
        capturingAt,
        exitedAt,
        stopMs: exitedAt - t,
      };
    },
  };
}

/**
 * startMonitor, then `during` (the traffic; not run if the monitor never started capturing),
 * then stop. The settle wait before stopping is short: the monitor itself hands over what
 * libpcap has received before it stops (its drain), this only lets the last replies arrive.
 */
export async function monitorWhile(
  lab: NetnsLab,
  o: MonitorOptions & { during: () => Promise<void>; signal?: NodeJS.Signals; settleMs?: number },
): Promise<MonitorResult> {
  const mon = await startMonitor(lab, o);
  let failure: unknown = null;
  try {
    if (mon.capturing) await o.during();
  } catch (err) {
    failure = err;
  }
  // Stopped even when `during` threw (that error is then the one reported).
  const result = await mon.stop({ signal: o.signal, settleMs: o.settleMs ?? 200 });
  if (failure !== null) throw failure;
  return result;
}
