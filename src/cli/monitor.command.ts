import { endOfCaptureNotes } from '../engine/analysis-notes';
import { createDetectors } from '../engine/detectors/registry';
import { severityRank, type Finding } from '../engine/finding';
import { Pipeline } from '../engine/pipeline';
import { linkTypeName } from '../engine/capture/link-types';
import { LiveCaptureError } from '../live/live-capture-error';
import { LivePacketSource } from '../live/live-packet-source';
import { detectorsOption, EXIT, loadConfig, severityOption, UsageError } from './analyze.command';
import { findingRow } from './findings-table';
import { terminalSafe } from './terminal-text';
import { textTable } from './text-table';

export interface MonitorCommandOptions {
  filter?: string;
  jsonl?: boolean;
  detectors?: string;
  minSeverity?: string;
  config?: string;
  snaplen?: string;
  promisc?: boolean;
  bufferSize?: string;
  captureId?: string;
  statsInterval?: string;
}

function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * `netwarden monitor IFACE`: the engine on a live interface, in this process — no Redis, no
 * PostgreSQL. The same Pipeline as `analyze` and the workers, fed by libpcap (packet time is
 * libpcap's capture time), so a capture of the same packets gives the same findings. Findings
 * print as they appear; --jsonl prints a finding again when it changes (count, last seen): a
 * later line with the same id supersedes the earlier one. SIGINT/SIGTERM end the capture,
 * flush the detectors and print the totals, including libpcap's drop counters.
 */
export async function runMonitor(iface: string, o: MonitorCommandOptions): Promise<number> {
  if (iface === '' || iface.length > 64) throw new UsageError('monitor needs an interface name (1 to 64 characters)');
  const minSeverity = severityOption('--min-severity', o.minSeverity) ?? 'info';
  const config = loadConfig(o.config);
  const detectors = detectorsOption(o.detectors);
  const snaplen = intOption('--snaplen', o.snaplen, 262_144, 64, 262_144);
  const bufferBytes = intOption('--buffer-size', o.bufferSize, 32 * 1024 * 1024, 65_536, 2 ** 31 - 1);
  const statsEveryMs = intOption('--stats-interval', o.statsInterval, 0, 0, 86_400) * 1000;
  const captureId = o.captureId ?? `monitor-${iface}`;
  if (captureId === '' || captureId.length > 200) throw new UsageError('--capture-id must be 1 to 200 characters');

  let source: LivePacketSource;
  try {
    source = LivePacketSource.open({
      iface,
      filter: o.filter,
      snaplen,
      promiscuous: o.promisc !== false,
      bufferBytes,
    });
  } catch (err) {
    if (err instanceof LiveCaptureError) {
      process.stderr.write(`netwarden: ${terminalSafe(err.message, 600)}\n`);
      return EXIT.BAD_INPUT;
    }
    throw err;
  }

  const pipeline = new Pipeline({ captureId, detectors: createDetectors(config, detectors), config });
  const shown = (f: Finding) => severityRank(f.severity) >= severityRank(minSeverity);
  const printed = new Set<string>();
  const emit = () => {
    for (const f of pipeline.takeChangedFindings()) {
      if (!shown(f)) continue;
      if (o.jsonl) process.stdout.write(`${JSON.stringify(f)}\n`);
      else if (!printed.has(f.id)) {
        printed.add(f.id);
        process.stdout.write(`${findingRow(f).join('  ')}\n`);
      }
    }
  };
  const statsLine = () => {
    const s = source.stats();
    const p = pipeline.getStats();
    return `${p.packets} packets (${p.bytes} bytes) analysed; libpcap: ${s.received} received, ${s.dropped} dropped (buffer full), ${s.ifDropped} dropped by the interface`;
  };
  let lastStats = Date.now();

  let failure: unknown = null;
  const done = new Promise<string>((resolve) => {
    const stop = (why: string) => resolve(why);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    source.start({
      onPacket: (rec) => pipeline.push(rec),
      onTick: (now) => {
        emit();
        if (statsEveryMs > 0 && now - lastStats >= statsEveryMs) {
          lastStats = now;
          process.stderr.write(`netwarden: ${statsLine()}\n`);
        }
      },
      tickMs: 250,
      onError: (err) => {
        failure = err;
        stop('error');
      },
    });
  });
  const filterText = o.filter ? `, filter "${terminalSafe(o.filter, 200)}"` : '';
  process.stderr.write(
    `netwarden: monitoring ${terminalSafe(iface, 64)} (link type ${linkTypeName(source.linkType)}${filterText}); Ctrl-C stops\n`,
  );

  const why = await done;
  await source.drain();
  source.close();
  pipeline.finish();
  emit();
  if (!o.jsonl) {
    const all = pipeline.findings().filter(shown);
    process.stdout.write(
      all.length === 0
        ? 'no findings\n'
        : `${textTable([['SEVERITY', 'DETECTOR', 'COUNT', 'FIRST SEEN (UTC)', 'HOSTS', 'TITLE'], ...all.map(findingRow)])}\n`,
    );
  }
  process.stderr.write(`netwarden: stopped (${why}): ${statsLine()}\n`);
  for (const note of endOfCaptureNotes(iface, pipeline))
    process.stderr.write(`netwarden: ${terminalSafe(note.message, 600)}\n`);
  if (failure !== null) {
    process.stderr.write(
      `netwarden: capture failed: ${failure instanceof Error ? failure.message : String(failure)}\n`,
    );
    return 70;
  }
  return EXIT.OK;
}
