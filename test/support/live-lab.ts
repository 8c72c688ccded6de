import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Network namespaces for the live-capture service suite. The API runs in the root namespace (the
 * test reaches it on 127.0.0.1), so what it captures on must be a root-namespace interface: each
 * segment is a hub-mode bridge (ageing_time 0: every frame goes to every port) inside the lab's
 * switch namespace, with the host namespaces attached, plus one veth pair whose outer end sits in
 * the root namespace with no address and IPv6 off — that end (`monitor`) sends nothing and sees
 * every frame on the segment. Names carry the prefix `nwlv<pid>`, addresses are 10.<n>.<segment>.x,
 * and traffic never leaves the lab's namespaces.
 */
export interface LabSegment {
  /** Host names on it (each its own namespace, `eth0` inside), addressed .2, .3, … in order. */
  hosts: string[];
  /** MTU of the segment's links (the monitor end included); default 1500. */
  mtu?: number;
}

function run(args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(args: string[]): void {
  spawnSync(args[0], args.slice(1), { stdio: 'ignore' });
}

export class LiveLab {
  readonly prefix: string;
  /** Second octet of every lab address. */
  readonly net: number;
  /** Root-namespace capture interface of each segment. */
  readonly monitors: string[] = [];
  private readonly hosts = new Map<string, { ns: string; ip: string }>();
  private readonly namespaces: string[] = [];

  private constructor(tag: string) {
    this.prefix = `nwlv${tag}`;
    this.net = 16 + (process.pid % 200);
  }

  /** Builds the lab; on any failure what was made is removed before the error is rethrown. */
  static create(segments: LabSegment[], tag = String(process.pid)): LiveLab {
    LiveLab.sweepStale();
    const lab = new LiveLab(tag);
    try {
      lab.build(segments);
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Labs of runs killed before their afterAll (their pid is gone): removed. */
  static sweepStale(): void {
    const gone = (pid: string) => !existsSync(`/proc/${pid}`);
    for (const line of run(['ip', 'netns', 'list']).split('\n')) {
      const m = /^(nwlv(\d+)-\S+)/.exec(line);
      if (m && gone(m[2])) tryRun(['ip', 'netns', 'del', m[1]]);
    }
    for (const line of run(['ip', '-o', 'link', 'show']).split('\n')) {
      const m = /^\d+: (nwlv(\d+)m\d+)[@:]/.exec(line);
      if (m && gone(m[2])) tryRun(['ip', 'link', 'del', m[1]]);
    }
  }

  private ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  private newNamespace(name: string): string {
    const ns = this.ns(name);
    tryRun(['ip', 'netns', 'del', ns]); // a crashed run of the same pid
    run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    // No IPv6: no router solicitations, DAD or MLD reports on the segments — only the test's traffic.
    for (const k of ['all', 'default'])
      run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`]);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  private build(segments: LabSegment[]): void {
    const sw = this.newNamespace('sw');
    segments.forEach((seg, i) => {
      const mtu = String(seg.mtu ?? 1500);
      const br = `br${i}`;
      run(['ip', '-n', sw, 'link', 'add', br, 'type', 'bridge', 'ageing_time', '0', 'stp_state', '0']);
      run(['ip', '-n', sw, 'link', 'set', br, 'up']);
      // The monitor end: created in the root namespace, its peer moved into the switch.
      const mon = `${this.prefix}m${i}`;
      if (mon.length > 15) throw new Error(`interface name ${mon} is too long`);
      tryRun(['ip', 'link', 'del', mon]);
      run(['ip', 'link', 'add', mon, 'mtu', mtu, 'type', 'veth', 'peer', 'name', `mp${i}`, 'mtu', mtu, 'netns', sw]);
      this.monitors.push(mon);
      run(['sysctl', '-qw', `net.ipv6.conf.${mon}.disable_ipv6=1`]);
      run(['ip', 'link', 'set', mon, 'up']);
      run(['ip', '-n', sw, 'link', 'set', `mp${i}`, 'master', br, 'up']);
      seg.hosts.forEach((h, j) => {
        const ns = this.newNamespace(h);
        const ip = `10.${this.net}.${i}.${j + 2}`;
        run([
          'ip',
          '-n',
          ns,
          'link',
          'add',
          'eth0',
          'mtu',
          mtu,
          'type',
          'veth',
          'peer',
          'name',
          `p${i}h${j}`,
          'mtu',
          mtu,
          'netns',
          sw,
        ]);
        run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        run(['ip', '-n', sw, 'link', 'set', `p${i}h${j}`, 'master', br, 'up']);
        this.hosts.set(h, { ns, ip });
      });
    });
  }

  ip(host: string): string {
    const h = this.hosts.get(host);
    if (!h) throw new Error(`no lab host ${host}`);
    return h.ip;
  }

  /** Runs a command in a host's namespace and waits for it. */
  exec(host: string, cmd: string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
    const h = this.hosts.get(host);
    if (!h) throw new Error(`no lab host ${host}`);
    return spawnSync('ip', ['netns', 'exec', h.ns, ...cmd], { encoding: 'utf8', timeout: timeoutMs });
  }

  /** Same, asynchronously (the test's event loop keeps polling the API meanwhile). */
  execAsync(host: string, cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const h = this.hosts.get(host);
    if (!h) throw new Error(`no lab host ${host}`);
    const p: ChildProcess = spawn('ip', ['netns', 'exec', h.ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  /**
   * Replays a capture out of a host's eth0 (tcpreplay; original timing unless `args` say
   * otherwise) and returns how many packets tcpreplay says it sent.
   */
  async replay(host: string, file: string, args: string[] = []): Promise<number> {
    const r = await this.execAsync(host, ['tcpreplay', '-q', '-i', 'eth0', ...args, file]);
    const m = /Actual: (\d+) packets/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`tcpreplay ${file} failed (${r.code}): ${r.stdout}${r.stderr}`);
    const failed = /Failed packets:\s+(\d+)/.exec(r.stdout);
    if (failed && failed[1] !== '0') throw new Error(`tcpreplay could not send every packet of ${file}: ${r.stdout}`);
    return Number(m[1]);
  }

  /** Idempotent: deleting the namespaces deletes their veths, the monitor ends with them. */
  destroy(): void {
    for (const ns of this.namespaces.splice(0).reverse()) tryRun(['ip', 'netns', 'del', ns]);
    for (const mon of this.monitors) tryRun(['ip', 'link', 'del', mon]);
  }
}
