import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CaptureParser } from '../../src/engine/capture/capture-parser';
import { encodePcapHeader, encodePcapRecord } from '../../src/engine/capture/pcap.writer';
import { loadSettings } from '../../src/config/settings';
import type { CaptureJob } from '../../src/live/capture-process-protocol';

/**
 * Sustained live-capture rate: the highest tcpreplay rate (packets/s) at which a capturer loses
 * no packet on this machine, and what it drops at twice that rate. Two network namespaces of our
 * own joined by a veth pair: tcpreplay sends a fixed number of packets (a mix of ../shared/pcaps,
 * addresses rewritten into a 10.x/16 of our own) in one, the capturer listens on the other end:
 *   - tcpdump -i IF -w /dev/null (the reference),
 *   - netwarden monitor IF (the whole engine, in-process),
 *   - the service's capture process alone (libpcap → chunk files; what the API forks per session).
 * A trial is loss-free when the capturer got every packet tcpreplay sent and libpcap counted no
 * drop. The rate is searched by doubling, then bisection. Each trial runs its capturer under
 * /usr/bin/time for peak RSS.
 *
 * Needs root, `ip netns`, tcpreplay, /usr/bin/time (and tcpdump for the reference row).
 * Env: BENCH_LIVE_SECONDS (default 3: packets per trial = rate × this), BENCH_LIVE_MAX_PPS
 * (default 2000000), BENCH_LIVE_START_PPS (default 32000), BENCH_LIVE_TRIALS (per capturer,
 * default 9 including the one at twice the rate), BENCH_LIVE_PIN (default 1: tcpreplay on CPU 0,
 * the capturer on CPU 1; 0: let the scheduler place them), BENCH_SKIP (row names separated by ;).
 *
 *   node dist/scripts/bench/bench-live.js [--json]
 */
const root = resolve(__dirname, '..', '..', '..');
const sharedPcaps = resolve(root, '..', 'shared', 'pcaps');

const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 3);
const MAX_PPS = Number(process.env.BENCH_LIVE_MAX_PPS ?? 2_000_000);
const MIN_PPS = 1000;
const START_PPS = Number(process.env.BENCH_LIVE_START_PPS ?? 32_000);
const MAX_TRIALS = Number(process.env.BENCH_LIVE_TRIALS ?? 9);
const PIN = (process.env.BENCH_LIVE_PIN ?? '1') !== '0';
/** tcpreplay reached less than this share of the asked rate: the sender, not the capturer, set the pace. */
const SENDER_SHORTFALL = 0.9;
/** Bisection stops when the bracket is this narrow (highest pass × this ≥ lowest fail). */
const BRACKET = 1.15;

export interface Trial {
  capturer: string;
  /** --pps asked of tcpreplay. */
  requestedPps: number;
  /** tcpreplay's "Rated: ... pps" and bytes/s (frame bytes, no preamble or FCS). */
  achievedPps: number;
  achievedBytesPerSec: number;
  sent: number;
  /** tcpreplay's "Failed packets" (send errors). */
  sendFailed: number;
  /** rx_packets / rx_dropped of the capturing veth end over the trial. */
  delivered: number;
  vethDropped: number;
  /** What the capturer got (tcpdump: packets captured; monitor: packets analysed; capture process: packets cut). */
  captured: number;
  /** pcap_stats. */
  received: number;
  dropped: number;
  ifDropped: number;
  lossFree: boolean;
  senderBound: boolean;
  rssMb: number;
}

export interface LiveRow {
  capturer: string;
  /** The fastest loss-free trial, if any was. */
  best: Trial | null;
  /** True when that trial was the sender's limit: the capturer may sustain more. */
  bestIsSenderLimit: boolean;
  /** The lowest failing rate tried (the bracket's top). */
  firstFail: Trial | null;
  /** A trial at twice the best requested rate. */
  atDouble: Trial | null;
  peakRssMb: number;
  trials: Trial[];
}

export interface LiveBench {
  rows: LiveRow[];
  /** tcpreplay --topspeed with nothing capturing. */
  senderMaxPps: number;
  meanFrameBytes: number;
  corpusPackets: number;
  notes: string[];
}

const log = (s: string) => process.stderr.write(`bench-live: ${s}\n`);

/** Processes we started that are running now (negative: a process group), ended if the bench is interrupted. */
const running = new Set<number>();
function killRunning(): void {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim().slice(0, 300)}`);
  return r.stdout;
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status === 0;
}

/** Why this machine cannot run the live bench, or null. */
export function liveBenchUnavailable(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'tcpreplay', 'taskset']) if (!have(tool)) return `needs ${tool}`;
  if (!existsSync('/usr/bin/time')) return 'needs GNU time (apt-get install time)';
  if (!existsSync(join(root, 'dist', 'src', 'live', 'capture-process.js'))) return 'needs the build (npm run build)';
  return null;
}

// ---------------------------------------------------------------------------------------------
// The packet mix

function sum16(buf: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i + 1 < len; i += 2) s += buf.readUInt16BE(off + i);
  if (len % 2 === 1) s += buf[off + len - 1] << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 1624 incremental update of a checksum for a change of 16-bit words from old to new. */
function adjustChecksum(check: number, oldWords: number, newWords: number): number {
  return ~fold((~check & 0xffff) + (~oldWords & 0xffff) + newWords) & 0xffff;
}

/**
 * The Ethernet IPv4 frames of ../shared/pcaps/{attacks,public} (whole frames of at most 1514
 * bytes: what a veth with MTU 1500 carries), every IPv4 address mapped into 10.<net>.0.0/16 in
 * order of appearance (IP and TCP/UDP checksums kept right), the destination MAC set to a unicast
 * address no interface has, so nothing goes past the capture tap (no replies, no forwarding).
 */
export function buildLiveMix(out: string, net: number): { packets: number; bytes: number } {
  const map = new Map<number, number>();
  const mapped = (a: number): number => {
    let m = map.get(a);
    if (m === undefined) {
      // 10.net.0.1 .. 10.net.254.254; the veth ends are 10.net.255.1 and .2.
      const i = map.size;
      m = ((10 << 24) | (net << 16) | ((Math.floor(i / 254) % 255) << 8) | ((i % 254) + 1)) >>> 0;
      map.set(a, m);
    }
    return m;
  };
  const frames: Buffer[] = [];
  for (const dir of ['attacks', 'public']) {
    const d = join(sharedPcaps, dir);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d).sort()) {
      if (!name.endsWith('.pcap')) continue;
      const got: Buffer[] = [];
      let ethernet = true;
      const parser = new CaptureParser({
        source: name,
        onPacket: (r) => {
          if (r.linkType !== 1) ethernet = false;
          if (r.capLen !== r.origLen || r.capLen > 1514 || r.capLen < 34) return;
          const f = r.buf.subarray(r.offset, r.offset + r.capLen);
          if (f.readUInt16BE(12) !== 0x0800 || f[14] >> 4 !== 4) return;
          got.push(Buffer.from(f));
        },
      });
      try {
        parser.write(readFileSync(join(d, name)));
        parser.end();
      } catch {
        continue;
      }
      if (ethernet) frames.push(...got);
    }
  }
  if (frames.length === 0) throw new Error(`no Ethernet IPv4 frames under ${sharedPcaps}`);
  const fd = openSync(out, 'w');
  let bytes = 0;
  try {
    writeSync(fd, encodePcapHeader({ linkType: 1, snaplen: 65535 }));
    const parts: Buffer[] = [];
    for (const f of frames) {
      Buffer.from([0x02, 0x6e, 0x77, 0x62, 0x00, 0x01]).copy(f, 0);
      const ihl = (f[14] & 0x0f) * 4;
      if (ihl >= 20 && 14 + ihl <= f.length) {
        const src = f.readUInt32BE(26);
        const dst = f.readUInt32BE(30);
        const nsrc = mapped(src);
        const ndst = mapped(dst);
        const before = sum16(f, 26, 8);
        f.writeUInt32BE(nsrc, 26);
        f.writeUInt32BE(ndst, 30);
        const after = sum16(f, 26, 8);
        f.writeUInt16BE(0, 24);
        f.writeUInt16BE(~fold(sum16(f, 14, ihl)) & 0xffff, 24);
        // TCP / UDP checksums cover the addresses (pseudo-header); first fragments only.
        const proto = f[23];
        const fragOffset = f.readUInt16BE(20) & 0x1fff;
        const l4 = 14 + ihl;
        const at = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
        if (at > 0 && fragOffset === 0 && at + 2 <= f.length) {
          const old = f.readUInt16BE(at);
          if (!(proto === 17 && old === 0)) {
            let c = adjustChecksum(old, fold(before), fold(after));
            if (proto === 17 && c === 0) c = 0xffff;
            f.writeUInt16BE(c, at);
          }
        }
      }
      parts.push(encodePcapRecord({ tsSec: 0, tsNsec: 0, data: f }, false));
      bytes += f.length;
    }
    writeSync(fd, Buffer.concat(parts));
  } finally {
    closeSync(fd);
  }
  return { packets: frames.length, bytes };
}

// ---------------------------------------------------------------------------------------------
// Namespaces

export interface LiveNet {
  tag: string;
  txNs: string;
  rxNs: string;
  txIf: string;
  rxIf: string;
  /** Second octet of the 10.x/16 the pair and the replayed packets use. */
  net: number;
  cleanup: () => void;
}

/** Two namespaces of our own, a veth pair between them, IPv6 off so nothing but tcpreplay talks. */
export function createLiveNet(): LiveNet {
  const hex = randomBytes(3).toString('hex');
  const tag = `nwlb-${hex}`;
  const txNs = `${tag}-tx`;
  const rxNs = `${tag}-rx`;
  const txIf = `nwlb${hex}t`;
  const rxIf = `nwlb${hex}r`;
  const net = 100 + (randomBytes(1)[0] % 150);
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const ns of [txNs, rxNs]) run('ip', ['netns', 'delete', ns]);
    process.removeListener('exit', cleanup);
  };
  process.on('exit', cleanup);
  try {
    for (const ns of [txNs, rxNs]) {
      must('ip', ['netns', 'add', ns]);
      must('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-qw',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
    }
    must('ip', ['link', 'add', txIf, 'netns', txNs, 'type', 'veth', 'peer', 'name', rxIf, 'netns', rxNs]);
    must('ip', ['-n', txNs, 'addr', 'add', `10.${net}.255.2/16`, 'dev', txIf]);
    must('ip', ['-n', rxNs, 'addr', 'add', `10.${net}.255.1/16`, 'dev', rxIf]);
    must('ip', ['-n', txNs, 'link', 'set', txIf, 'up']);
    must('ip', ['-n', rxNs, 'link', 'set', rxIf, 'up']);
  } catch (err) {
    cleanup();
    throw err;
  }
  return { tag, txNs, rxNs, txIf, rxIf, net, cleanup };
}

function vethCounters(n: LiveNet): { packets: number; dropped: number } {
  const j = JSON.parse(must('ip', ['-j', '-s', '-n', n.rxNs, 'link', 'show', 'dev', n.rxIf])) as Array<{
    stats64: { rx: { packets: number; dropped: number } };
  }>;
  return { packets: j[0].stats64.rx.packets, dropped: j[0].stats64.rx.dropped };
}

// ---------------------------------------------------------------------------------------------
// Sender

interface Sent {
  sent: number;
  failed: number;
  pps: number;
  bytesPerSec: number;
}

function parseTcpreplay(out: string): Sent {
  const actual = /Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds/.exec(out);
  const rated = /Rated: ([\d.]+) Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out);
  const failed = /Failed packets:\s+(\d+)/.exec(out);
  if (!actual || !rated) throw new Error(`tcpreplay said: ${out.trim().slice(-400)}`);
  return {
    sent: Number(actual[1]),
    failed: failed ? Number(failed[1]) : 0,
    pps: Number(rated[2]),
    bytesPerSec: Number(rated[1]),
  };
}

function pin(cpu: number): string[] {
  return PIN ? ['taskset', '-c', String(cpu)] : [];
}

function replay(n: LiveNet, mix: string, rate: number | 'topspeed', count: number): Promise<Sent> {
  const args = [
    'netns',
    'exec',
    n.txNs,
    ...pin(0),
    'tcpreplay',
    '-i',
    n.txIf,
    rate === 'topspeed' ? '--topspeed' : `--pps=${rate}`,
    '--preload-pcap',
    '--loop=0',
    `--limit=${count}`,
    mix,
  ];
  return new Promise((res, rej) => {
    const p = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (p.pid !== undefined) running.add(p.pid);
    p.on('exit', () => running.delete(p.pid!));
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', rej);
    p.on('close', (code) => {
      if (code !== 0) rej(new Error(`tcpreplay exited ${code}: ${out.trim().slice(-300)}`));
      else {
        try {
          res(parseTcpreplay(out));
        } catch (err) {
          rej(err as Error);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Capturers

interface Final {
  captured: number;
  received: number;
  dropped: number;
  ifDropped: number;
}

interface Capturer {
  name: string;
  command: (n: LiveNet, scratch: string) => string[];
  /** The line that says it is capturing. */
  ready: RegExp;
  /** Packets it has handled so far, from its periodic output (null: it prints none). */
  progress: (stderr: string) => number | null;
  final: (stderr: string) => Final;
  /** Extra wait after the sender stops (tcpdump hands packets over after its 1 s read timeout). */
  settleMs: number;
}

function lastMatch(re: RegExp, s: string): RegExpExecArray | null {
  let m: RegExpExecArray | null = null;
  for (let x = re.exec(s); x !== null; x = re.exec(s)) m = x;
  return m;
}

const MONITOR_STATS =
  /(\d+) packets \(\d+ bytes\) analysed; libpcap: (\d+) received, (\d+) dropped \(buffer full\), (\d+) dropped by the interface/g;

function captureJob(iface: string, dir: string): CaptureJob {
  const live = loadSettings({}).live;
  return {
    iface,
    filter: '',
    snaplen: live.snaplen,
    promiscuous: live.promiscuous,
    bufferBytes: live.bufferBytes,
    chunkMs: live.chunkMs,
    chunkPackets: live.chunkPackets,
    chunkBytes: live.chunkBytes,
    dir,
    firstSeq: 1,
    firstFrame: 1,
    statsMs: 250,
  };
}

export const CAPTURERS: Capturer[] = [
  {
    name: 'tcpdump -i IF -w /dev/null',
    command: (n) => ['tcpdump', '-i', n.rxIf, '-w', '/dev/null'],
    ready: /listening on/,
    progress: () => null,
    final: (s) => {
      const num = (re: RegExp) => Number(re.exec(s)?.[1] ?? NaN);
      return {
        captured: num(/(\d+) packets? captured/),
        received: num(/(\d+) packets? received by filter/),
        dropped: num(/(\d+) packets? dropped by kernel/),
        ifDropped: Number(/(\d+) packets? dropped by interface/.exec(s)?.[1] ?? 0),
      };
    },
    settleMs: 1300,
  },
  {
    name: 'netwarden monitor IF',
    command: (n) => [process.execPath, join(root, 'bin', 'netwarden.js'), 'monitor', n.rxIf, '--stats-interval', '1'],
    ready: /monitoring /,
    progress: (s) => {
      const m = lastMatch(new RegExp(MONITOR_STATS.source, 'g'), s);
      return m ? Number(m[1]) : null;
    },
    final: (s) => {
      const m =
        /stopped \([^)]*\): (\d+) packets \(\d+ bytes\) analysed; libpcap: (\d+) received, (\d+) dropped \(buffer full\), (\d+) dropped by the interface/.exec(
          s,
        );
      if (!m) throw new Error(`monitor printed no totals: ${s.trim().slice(-300)}`);
      return { captured: Number(m[1]), received: Number(m[2]), dropped: Number(m[3]), ifDropped: Number(m[4]) };
    },
    settleMs: 300,
  },
  {
    name: 'service capture process (chunk files)',
    command: (n, scratch) => [
      process.execPath,
      join(root, 'dist', 'src', 'live', 'capture-process.js'),
      JSON.stringify(captureJob(n.rxIf, scratch)),
    ],
    ready: /"type":"ready"/,
    progress: (s) => {
      const m = lastMatch(/"type":"stats","packets":(\d+)/g, s);
      return m ? Number(m[1]) : null;
    },
    final: (s) => {
      const m = /\{"type":"ended".*\}/.exec(s);
      if (!m) throw new Error(`capture process printed no final counters: ${s.trim().slice(-300)}`);
      const e = JSON.parse(m[0]) as { packets: number; received: number; dropped: number; ifDropped: number };
      return { captured: e.packets, received: e.received, dropped: e.dropped, ifDropped: e.ifDropped };
    },
    settleMs: 300,
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function trial(n: LiveNet, mix: string, cap: Capturer, rate: number): Promise<Trial> {
  // Beside the mix, in the run's directory: removed with it, also when the bench is interrupted.
  const scratch = mkdtempSync(join(dirname(mix), 'chunks-'));
  const count = Math.max(2000, Math.round(rate * SECONDS));
  // Own process group: SIGINT reaches the capturer; GNU time ignores it and reports peak RSS.
  const p = spawn(
    '/usr/bin/time',
    ['-f', 'NWBENCH-RSS-KB %M', 'ip', 'netns', 'exec', n.rxNs, ...pin(1), ...cap.command(n, scratch)],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  if (p.pid !== undefined) running.add(-p.pid);
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-p.pid!, sig);
    } catch {
      // gone
    }
  };
  try {
    const until = Date.now() + 20_000;
    while (!cap.ready.test(stderr)) {
      if (p.exitCode !== null || Date.now() > until)
        throw new Error(`${cap.name} did not start: ${stderr.trim().slice(-300)}`);
      await sleep(20);
    }
    await sleep(200);
    const before = vethCounters(n);
    const s = await replay(n, mix, rate, count);
    await sleep(cap.settleMs);
    // Let a capturer that is behind drain its ring: until it has them all or stops progressing.
    let last = -1;
    for (const drainUntil = Date.now() + 15_000; Date.now() < drainUntil;) {
      const got = cap.progress(stderr);
      if (got === null || got >= s.sent || got === last) break;
      last = got;
      await sleep(1100);
    }
    const after = vethCounters(n);
    group('SIGINT');
    const code = await Promise.race([exited, sleep(15_000).then(() => 'hung' as const)]);
    if (code === 'hung') {
      group('SIGKILL');
      throw new Error(`${cap.name} did not exit after SIGINT`);
    }
    const f = cap.final(stderr);
    const rss = /NWBENCH-RSS-KB (\d+)/.exec(stderr);
    const delivered = after.packets - before.packets;
    const vethDropped = after.dropped - before.dropped;
    const t: Trial = {
      capturer: cap.name,
      requestedPps: rate,
      achievedPps: s.pps,
      achievedBytesPerSec: s.bytesPerSec,
      sent: s.sent,
      sendFailed: s.failed,
      delivered,
      vethDropped,
      ...f,
      lossFree:
        s.failed === 0 &&
        s.sent === count &&
        delivered === s.sent &&
        f.captured === s.sent &&
        f.dropped === 0 &&
        f.ifDropped === 0,
      senderBound: s.pps < rate * SENDER_SHORTFALL,
      rssMb: rss ? Number(rss[1]) / 1024 : NaN,
    };
    log(
      `${cap.name} @ ${rate} pps: sent ${t.sent} at ${Math.round(t.achievedPps)} pps${t.senderBound ? ' (sender short)' : ''}, ` +
        `delivered ${t.delivered} (veth dropped ${t.vethDropped}), captured ${t.captured}, libpcap received ${t.received} ` +
        `dropped ${t.dropped} ifdropped ${t.ifDropped} → ${t.lossFree ? 'loss-free' : 'LOSS'}; RSS ${t.rssMb.toFixed(0)} MB`,
    );
    return t;
  } finally {
    if (p.exitCode === null && p.signalCode === null) group('SIGKILL');
    running.delete(-p.pid!);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Rates on a 1-2-5-ish grid of 2 significant digits, so rows read easily. */
function round2(x: number): number {
  const e = Math.pow(10, Math.floor(Math.log10(x)) - 1);
  return Math.round(x / e) * e;
}

async function search(n: LiveNet, mix: string, cap: Capturer, ceiling: number): Promise<LiveRow> {
  const trials: Trial[] = [];
  let lo: Trial | null = null;
  let hi: Trial | null = null;
  let loIsSenderLimit = false;
  const budget = MAX_TRIALS - 1; // one is kept for twice the rate
  let rate = Math.min(START_PPS, ceiling);
  // Doubling (or halving) until a pass and a fail bracket the rate.
  while (trials.length < budget) {
    const t = await trial(n, mix, cap, rate);
    trials.push(t);
    if (t.lossFree) {
      lo = t;
      if (hi) break;
      if (t.senderBound || rate >= ceiling) {
        loIsSenderLimit = true;
        break;
      }
      rate = Math.min(rate * 2, ceiling);
    } else {
      hi = t;
      if (lo || rate <= MIN_PPS) break;
      rate = Math.max(Math.round(rate / 2), MIN_PPS);
    }
  }
  // Bisection (geometric) of the bracket.
  while (lo && hi && trials.length < budget && hi.requestedPps / lo.requestedPps > BRACKET) {
    const mid = round2(Math.sqrt(lo.requestedPps * hi.requestedPps));
    if (mid <= lo.requestedPps || mid >= hi.requestedPps) break;
    const t = await trial(n, mix, cap, mid);
    trials.push(t);
    if (t.lossFree) lo = t;
    else hi = t;
  }
  let atDouble: Trial | null = null;
  // Twice a rate the sender could not reach is the sender flat out again: nothing to learn.
  if (lo && !(loIsSenderLimit && hi === null)) {
    const want = lo.requestedPps * 2;
    atDouble = trials.find((t) => t.requestedPps === want) ?? (await trial(n, mix, cap, want));
    if (!trials.includes(atDouble)) trials.push(atDouble);
  }
  return {
    capturer: cap.name,
    best: lo,
    bestIsSenderLimit: loIsSenderLimit && lo !== null && hi === null,
    firstFail: hi,
    atDouble,
    peakRssMb: Math.max(...trials.map((t) => t.rssMb).filter((x) => !Number.isNaN(x))),
    trials,
  };
}

export async function benchLive(skip = new Set<string>()): Promise<LiveBench> {
  const why = liveBenchUnavailable();
  if (why) throw new Error(`live bench ${why}`);
  const n = createLiveNet();
  const scratch = mkdtempSync(join(tmpdir(), 'nw-bench-live-'));
  const onSignal = () => {
    killRunning();
    n.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const mix = join(scratch, 'mix.pcap');
    const corpus = buildLiveMix(mix, n.net);
    const meanFrameBytes = corpus.bytes / corpus.packets;
    log(
      `namespaces ${n.txNs} / ${n.rxNs}, veth ${n.txIf} → ${n.rxIf}, 10.${n.net}.0.0/16; mix of ${corpus.packets} frames, ` +
        `mean ${meanFrameBytes.toFixed(0)} bytes; ${PIN ? 'tcpreplay pinned to CPU 0, capturer to CPU 1' : 'not pinned'}`,
    );
    const cal = await replay(n, mix, 'topspeed', Math.max(200_000, Math.round(300_000 * SECONDS)));
    const senderMaxPps = cal.pps;
    log(`tcpreplay --topspeed with nothing capturing: ${Math.round(senderMaxPps)} pps`);
    const ceiling = Math.min(MAX_PPS, round2(senderMaxPps));
    const rows: LiveRow[] = [];
    for (const cap of CAPTURERS) {
      if (skip.has(cap.name)) continue;
      if (cap.name.startsWith('tcpdump') && !have('tcpdump')) {
        log('no tcpdump: reference row skipped');
        continue;
      }
      rows.push(await search(n, mix, cap, ceiling));
    }
    const notes = [
      `live capture: tcpreplay in one network namespace, the capturer on the other end of a veth pair; ` +
        `${corpus.packets}-frame mix of ../shared/pcaps (Ethernet IPv4, mean ${meanFrameBytes.toFixed(0)} bytes), ` +
        `${SECONDS} s of packets per trial; loss-free = captured == sent and no libpcap drop; ` +
        `tcpreplay alone reaches ${Math.round(senderMaxPps)} pps (--topspeed); ` +
        (PIN ? 'tcpreplay on CPU 0, capturer on CPU 1' : 'not pinned'),
    ];
    return { rows, senderMaxPps, meanFrameBytes, corpusPackets: corpus.packets, notes };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(scratch, { recursive: true, force: true });
    n.cleanup();
  }
}

function fmtPps(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)} k`;
}

/** The table bench.ts prints after its own: one row per capturer. */
export function liveTable(b: LiveBench): string {
  const ref = b.rows.find((r) => r.capturer.startsWith('tcpdump'));
  const header = [
    'live capturer',
    'loss-free pps',
    'asked (--pps)',
    'Mbit/s',
    '× tcpdump',
    'at 2×: sent at',
    'libpcap drops',
    'lost',
    'peak RSS MB',
    'trials',
  ];
  const rows = b.rows.map((r) => {
    const best = r.best;
    const d = r.atDouble;
    let ratio = '-';
    if (ref?.best && best && !(ref.bestIsSenderLimit && r.bestIsSenderLimit)) {
      const x = (best.achievedPps / ref.best.achievedPps).toFixed(2);
      // A lower bound (the sender's limit) on one side makes the ratio a bound too.
      ratio = ref.bestIsSenderLimit ? `≤ ${x}` : r.bestIsSenderLimit ? `≥ ${x}` : x;
    }
    const lost = d ? d.sent - d.captured : 0;
    return [
      r.capturer,
      // What tcpreplay achieved; at the sender's limit the capturer may take more ('≥').
      best ? `${r.bestIsSenderLimit ? '≥ ' : ''}${fmtPps(best.achievedPps)}` : `< ${fmtPps(MIN_PPS)}`,
      best ? `${fmtPps(best.requestedPps)}${r.bestIsSenderLimit ? ' (sender max)' : ''}` : '-',
      best ? ((best.achievedBytesPerSec * 8) / 1e6).toFixed(0) : '-',
      ratio,
      d
        ? `${fmtPps(d.achievedPps)}${d.senderBound ? ` (asked ${fmtPps(d.requestedPps)}, sender max)` : ''}`
        : r.bestIsSenderLimit
          ? 'sender limit'
          : '-',
      d ? String(d.dropped) : '-',
      d ? `${lost} (${((100 * lost) / d.sent).toFixed(1)} %)` : '-',
      r.peakRssMb.toFixed(0),
      String(r.trials.length),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((t) => t[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return `${fmt(header)}\n${rows.map(fmt).join('\n')}\n${b.notes.join('\n')}\n`;
}

if (require.main === module) {
  const skip = new Set((process.env.BENCH_SKIP ?? '').split(';').filter(Boolean));
  const t0 = Date.now();
  benchLive(skip)
    .then((b) => {
      process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(b, null, 2)}\n` : liveTable(b));
      log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`bench-live: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
