import { readCapture } from '../../src/engine/capture/read-capture';
import { resolveConfig } from '../../src/engine/config';
import { DecodedPacket } from '../../src/engine/decode/decoded-packet';
import { PacketDecoder } from '../../src/engine/decode/packet.decoder';
import { createDetectors } from '../../src/engine/detectors/registry';
import { Pipeline } from '../../src/engine/pipeline';
import { TrafficSummary } from '../../src/engine/summary/traffic-summary';
import { FeedCache } from '../../src/intel/feed-cache';
import { loadFeedsFile } from '../../src/intel/feed-config';
import { loadIntel } from '../../src/intel/intel-feeds';

/**
 * One measured configuration, run in its own process so its peak RSS is its own.
 * usage: bench-mode MODE FILE → prints {"packets":N,"bytes":N} on stdout.
 * `intel-load` and `pipeline-intel` load the feeds file named by env BENCH_INTEL first (local
 * path feeds) and add the load's seconds, RSS after it and the indicator count to the output.
 */
type Mode =
  | 'pcap-parser'
  | 'reader'
  | 'decode'
  | 'pipeline'
  | 'pipeline-all-parsers'
  | 'intel-load'
  | 'pipeline-intel'
  | 'pipeline-summary';

/** What bench-mode prints (JSON on stdout), read back by bench.ts. */
export interface ModeResult {
  packets: number;
  bytes: number;
  intelLoadSeconds?: number;
  intelRssMb?: number;
  indicators?: number;
  findings?: number;
  intelFindings?: number;
  pipelineSeconds?: number;
  pipelineCpuSeconds?: number;
}

function loadBenchIntel(): { index: ReturnType<typeof loadIntel>['index']; seconds: number; rssMb: number } {
  const feedsFile = process.env.BENCH_INTEL;
  if (!feedsFile) throw new Error('BENCH_INTEL must name a feeds file');
  const t0 = process.hrtime.bigint();
  const load = loadIntel(loadFeedsFile(feedsFile), new FeedCache('/nonexistent'), feedsFile);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (load.warnings.length) throw new Error(load.warnings.join('; '));
  return { index: load.index, seconds, rssMb: process.memoryUsage().rss / 1048576 };
}

async function main(mode: Mode, file: string): Promise<ModeResult> {
  let packets = 0;
  let bytes = 0;
  switch (mode) {
    case 'pcap-parser': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pcapp = require('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
      await new Promise<void>((resolve, reject) => {
        const parser = pcapp.parse(file);
        parser.on('packet', (p: { data: Buffer }) => {
          packets++;
          bytes += p.data.length;
        });
        parser.on('end', () => resolve());
        parser.on('error', reject);
      });
      return { packets, bytes };
    }
    case 'reader': {
      const r = await readCapture(file, {
        onPacket: (rec) => {
          packets++;
          bytes += rec.capLen;
        },
      });
      return { packets: r.packets, bytes };
    }
    case 'decode': {
      const decoder = new PacketDecoder();
      const p = new DecodedPacket();
      let tcp = 0;
      await readCapture(file, {
        onPacket: (rec) => {
          decoder.decode(rec, p);
          packets++;
          bytes += rec.capLen;
          if (p.ipProto === 6) tcp++; // keep the decode observable
        },
      });
      if (tcp < 0) throw new Error('unreachable');
      return { packets, bytes };
    }
    case 'intel-load': {
      const l = loadBenchIntel();
      return { packets: 0, bytes: 0, intelLoadSeconds: l.seconds, intelRssMb: l.rssMb, indicators: l.index.size };
    }
    case 'pipeline':
    case 'pipeline-all-parsers':
    case 'pipeline-intel':
    case 'pipeline-summary': {
      // pipeline-summary: what a worker runs — all detectors plus the traffic summary observer.
      const summary = mode === 'pipeline-summary' ? new TrafficSummary() : undefined;
      const intel = mode === 'pipeline-intel' ? loadBenchIntel() : undefined;
      const config = resolveConfig();
      const pipeline = new Pipeline({
        captureId: 'bench',
        // BENCH_DETECTORS=a,b measures a subset (to find which detector costs what).
        detectors: createDetectors(config, process.env.BENCH_DETECTORS?.split(',').filter(Boolean), {
          intel: intel?.index,
        }),
        config,
        protocols: mode === 'pipeline-all-parsers' ? 'all' : 'auto',
        observers: summary ? [summary.observer()] : [],
      });
      // CPU time of the pipeline alone (index load excluded): steadier than wall time on a shared machine.
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await readCapture(file, { onPacket: (rec) => pipeline.push(rec) });
      pipeline.finish();
      summary?.finish();
      const cpu = process.cpuUsage(cpu0);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const s = pipeline.getStats();
      const findings = pipeline.findings();
      return {
        packets: s.packets,
        bytes: s.bytes,
        pipelineSeconds: wall,
        pipelineCpuSeconds: (cpu.user + cpu.system) / 1e6,
        findings: findings.length,
        ...(intel
          ? {
              intelLoadSeconds: intel.seconds,
              intelRssMb: intel.rssMb,
              indicators: intel.index.size,
              intelFindings: findings.filter((f) => f.detector === 'threat-intel').length,
            }
          : {}),
      };
    }
  }
}

const [mode, file] = process.argv.slice(2) as [Mode, string];
main(mode, file).then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
