import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureCorpus } from './bench-corpus';
import { benchLive, liveBenchUnavailable, liveTable, type LiveBench } from './bench-live';
import { benchLoad, loadTable, type LoadBench } from './bench-load';
import { benchService } from './bench-service';
import type { ModeResult } from './bench-mode';
import { ensureBenchIntel } from './intel-indicators';
import { ensureSpoofedFlood } from './spoofed-flood';

/**
 * `npm run bench`: reader, decoders and pipeline side by side with cat, tcpdump, tshark and
 * pcap-parser on the same >= 1 GB capture, in one run. Each row runs in its own process under
 * /usr/bin/time for wall time and peak RSS. Ratios are what to quote; single timings vary.
 *
 * Live capture comes last, in a table of its own (bench-live.ts: the highest loss-free tcpreplay
 * rate per capturer on a veth pair; needs root, else skipped with a note).
 *
 * The service under load (bench-load.ts: 20 uploads, 200 reads/s, 200 SSE clients) has a table of
 * its own too, before the live one.
 *
 * Env: BENCH_BYTES (default 1.05e9), BENCH_CACHE (default .bench-cache), BENCH_SKIP (row names
 * separated by ;, "live" for all the live rows, "load" for the load run), BENCH_LIVE_* (see
 * bench-live.ts), BENCH_LOAD_SECONDS (default 60).
 */
const root = resolve(__dirname, '..', '..', '..');
const shared = resolve(root, '..', 'shared', 'pcaps');
const cache = process.env.BENCH_CACHE ?? join(root, '.bench-cache');
const target = Number(process.env.BENCH_BYTES ?? 1.05e9);
const skip = new Set((process.env.BENCH_SKIP ?? '').split(';').filter(Boolean));

interface Row {
  name: string;
  file: string;
  packets: number;
  bytes: number;
  seconds: number;
  rssMb: number;
  /** Multiply the time by this (rows run on the 1/20 slice). */
  scale: number;
}

function timed(cmd: string[], stdoutToNull: boolean): { seconds: number; rssMb: number; stdout: string } {
  const devnull = stdoutToNull ? openSync('/dev/null', 'w') : undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], {
    stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (devnull !== undefined) closeSync(devnull);
  const lines = (r.stderr ?? '').trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || !m) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${lines.slice(-3).join(' | ')}`);
  return { seconds: Number(m[1]), rssMb: Number(m[2]) / 1024, stdout: r.stdout ?? '' };
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status === 0;
}

/**
 * Every measured run starts from a warm page cache: the 1 GB pcap and its pcapng copy don't both
 * stay cached on a small machine, and a cold read would be booked as the reader's time.
 */
function warm(file: string): void {
  timed(['cat', file], true);
}

function node(mode: string, file: string): ModeResult & { seconds: number; rssMb: number } {
  warm(file);
  const script = join(__dirname, 'bench-mode.js');
  const t = timed([process.execPath, script, mode, file], false);
  const r = JSON.parse(t.stdout.trim()) as ModeResult;
  return { ...r, seconds: t.seconds, rssMb: t.rssMb };
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new Error('bench needs GNU time (apt-get install time)');
  process.stderr.write(`bench: corpus in ${cache} (built once, ~${(target / 1e9).toFixed(2)} GB)...\n`);
  const corpus = ensureCorpus(cache, shared, target);
  const size = statSync(corpus.pcap).size;
  const ngSize = statSync(corpus.pcapng).size;
  const rows: Row[] = [];
  const add = (name: string, fn: () => Omit<Row, 'name'>) => {
    if (skip.has(name)) return;
    process.stderr.write(`bench: ${name}...\n`);
    rows.push({ name, ...fn() });
  };

  // Our reader first: it gives the packet counts the external tools are credited with.
  const reader = node('reader', corpus.pcap);
  const slicePackets = node('reader', corpus.slice).packets;
  const sliceScale = reader.packets / slicePackets;

  warm(corpus.pcap);
  add('cat > /dev/null', () => ({
    file: corpus.pcap,
    packets: reader.packets,
    bytes: size,
    scale: 1,
    ...timed(['cat', corpus.pcap], true),
  }));
  if (have('tcpdump')) {
    add('tcpdump -nr', () => ({
      file: corpus.pcap,
      packets: reader.packets,
      bytes: size,
      scale: 1,
      ...timed(['tcpdump', '-nr', corpus.pcap], true),
    }));
  }
  if (have('tshark')) {
    add('tshark -q -z conv,tcp (1/20 slice, scaled)', () => ({
      file: corpus.slice,
      packets: reader.packets,
      bytes: size,
      scale: sliceScale,
      ...timed(['tshark', '-n', '-q', '-z', 'conv,tcp', '-r', corpus.slice], true),
    }));
  }
  add('pcap-parser (packets only)', () => ({ file: corpus.pcap, scale: 1, ...node('pcap-parser', corpus.pcap) }));
  add('netwarden reader (pcap)', () => ({ file: corpus.pcap, scale: 1, ...reader }));
  add('netwarden reader (pcapng)', () => ({ file: corpus.pcapng, scale: 1, ...node('reader', corpus.pcapng) }));
  add('netwarden reader+decode (pcap)', () => ({ file: corpus.pcap, scale: 1, ...node('decode', corpus.pcap) }));
  add('netwarden reader+decode (pcapng)', () => ({ file: corpus.pcapng, scale: 1, ...node('decode', corpus.pcapng) }));
  add('netwarden pipeline, all detectors', () => ({ file: corpus.pcap, scale: 1, ...node('pipeline', corpus.pcap) }));
  add('netwarden pipeline, all detectors (pcapng)', () => ({
    file: corpus.pcapng,
    scale: 1,
    ...node('pipeline', corpus.pcapng),
  }));
  // Threat intel: 1 M indicators (generated once into .bench-cache/intel-1m/), loaded before the
  // same full pipeline as the row above; the two rows are the with/without comparison.
  const intel = await ensureBenchIntel(join(root, '.bench-cache', 'intel-1m'), corpus.slice);
  process.env.BENCH_INTEL = intel.feedsFile;
  let intelNote = '';
  if (!skip.has('netwarden pipeline, all detectors + threat-intel, 1 M indicators')) {
    const load = node('intel-load', intel.feedsFile);
    add('netwarden pipeline, all detectors + threat-intel, 1 M indicators', () => {
      const r = node('pipeline-intel', corpus.pcap);
      const plain = rows.find((x) => x.name === 'netwarden pipeline, all detectors');
      intelNote =
        `threat-intel: ${load.indicators} indicators loaded in ${load.intelLoadSeconds!.toFixed(2)} s ` +
        `(RSS ${load.intelRssMb!.toFixed(0)} MB after loading, peak ${load.rssMb.toFixed(0)} MB); ` +
        `the pipeline row excludes that load; ${r.intelFindings} threat-intel findings` +
        (plain
          ? `; time with / without intel: ${((r.seconds - (r.intelLoadSeconds ?? 0)) / plain.seconds).toFixed(2)}`
          : '');
      // The index load is a start-up cost, not a per-packet one: it is taken out of the row.
      return { file: corpus.pcap, scale: 1, ...r, seconds: r.seconds - (r.intelLoadSeconds ?? 0) };
    });
  }
  add('netwarden pipeline + every protocol parser', () => ({
    file: corpus.pcap,
    scale: 1,
    ...node('pipeline-all-parsers', corpus.pcap),
  }));

  // Memory under a spoofed flood: ten times the sources must not mean ten times the memory.
  for (const [syns, sources] of [
    [200_000, 20_000],
    [2_000_000, 200_000],
  ]) {
    const name = `pipeline on a spoofed SYN flood, ${sources / 1000}k sources`;
    if (skip.has(name)) continue; // don't build a flood capture nobody measures
    const flood = ensureSpoofedFlood(cache, syns, sources);
    add(name, () => ({
      file: flood,
      scale: 1,
      ...node('pipeline', flood),
    }));
  }

  // The CLI as a user runs it, and the service end to end on the same file (API + 2 worker
  // processes on this machine's 2 cores; PostgreSQL and Redis from scripts/services.sh).
  add('netwarden analyze --json (CLI, in-process)', () => {
    warm(corpus.pcap);
    const t = timed([process.execPath, join(root, 'bin', 'netwarden.js'), 'analyze', '--json', corpus.pcap], true);
    return { file: corpus.pcap, packets: reader.packets, bytes: size, scale: 1, seconds: t.seconds, rssMb: t.rssMb };
  });
  const serviceNotes: string[] = [];
  if (!skip.has('service')) {
    warm(corpus.pcap);
    for (const run of await benchService(corpus.pcap, 2)) {
      const name = `service: ${run.how} upload + analysis, 2 workers (API peak RSS)`;
      rows.push({
        name,
        file: corpus.pcap,
        packets: run.packets,
        bytes: run.bytes,
        scale: 1,
        seconds: run.totalSeconds,
        rssMb: run.apiPeakRssMb,
      });
      serviceNotes.push(
        `${run.how} upload: ${run.uploadSeconds.toFixed(1)} s to receive and chunk (${(run.bytes / 1e6 / run.uploadSeconds).toFixed(0)} MB/s), ` +
          `${run.totalSeconds.toFixed(1)} s upload → done, ${run.chunks} chunks, ${run.findings} findings; ` +
          `API peak RSS ${run.apiPeakRssMb.toFixed(0)} MB, workers ${run.workerPeakRssMb.map((m) => m.toFixed(0)).join(' / ')} MB`,
      );
    }
  }

  // The service under load: concurrent uploads, steady reads and SSE listeners at once.
  let load: LoadBench | null = null;
  if (!skip.has('load')) {
    process.stderr.write('bench: service under load (20 uploads, 200 reads/s, 200 SSE clients)...\n');
    load = await benchLoad();
  }

  // Live capture on a veth pair between two namespaces of its own (root only).
  let live: LiveBench | null = null;
  if (!skip.has('live')) {
    const why = liveBenchUnavailable();
    if (why) process.stderr.write(`bench: live capture rows skipped: ${why}\n`);
    else {
      process.stderr.write('bench: live capture (highest loss-free tcpreplay rate per capturer)...\n');
      live = await benchLive(skip);
    }
  }

  const tcpdump = rows.find((r) => r.name.startsWith('tcpdump'));
  const header = ['what', 'packets', 'seconds', 'Mpackets/s', 'MB/s', 'peak RSS MB', '× tcpdump speed'];
  const table = rows.map((r) => {
    const secs = r.seconds * r.scale;
    const pps = r.packets / secs;
    const speedup = tcpdump ? (tcpdump.seconds * tcpdump.scale) / secs : NaN;
    return [
      r.name,
      String(r.packets),
      secs.toFixed(2),
      (pps / 1e6).toFixed(2),
      (r.bytes / 1e6 / secs).toFixed(0),
      r.rssMb.toFixed(0),
      Number.isNaN(speedup) ? '-' : speedup.toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(
    `file: ${corpus.pcap} (${(size / 1e9).toFixed(2)} GB, ${reader.packets} packets, mean ${(size / reader.packets).toFixed(0)} bytes/record); pcapng copy ${(ngSize / 1e9).toFixed(2)} GB\n`,
  );
  process.stdout.write(`${fmt(header)}\n${table.map(fmt).join('\n')}\n`);
  if (intelNote) process.stdout.write(`${intelNote}\n`);
  for (const n of serviceNotes) process.stdout.write(`service: ${n}\n`);
  if (load) process.stdout.write(`\n${loadTable(load)}`);
  if (live) process.stdout.write(`\n${liveTable(live)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
