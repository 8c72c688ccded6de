import { CaptureError } from './capture/capture-error';
import { endOfCaptureNotes } from './analysis-notes';
import { readCapture } from './capture/read-capture';
import type { EngineConfig } from './config';
import type { DetectorResources } from './detectors/detector-resources';
import { createDetectors } from './detectors/registry';
import { isoTime, type Finding } from './finding';
import { Pipeline } from './pipeline';

/**
 * Analyse one whole capture in-process: the embedded path of `netwarden analyze`, with the same
 * Pipeline the workers run chunk by chunk. Damaged input is not an exception here: every packet
 * before the damage is analysed and the damage is reported in `errors`.
 */
export interface CaptureAnalysis {
  file: string;
  packets: number;
  bytes: number;
  firstSeen: string | null;
  lastSeen: string | null;
  linkTypes: number[];
  errors: Array<{ offset: number; message: string }>;
  findings: Finding[];
}

export interface AnalyzeOptions {
  config: EngineConfig;
  /** Detector ids to run (default: all registered). */
  detectors?: readonly string[];
  /** Used in finding ids; defaults to the file name. */
  captureId?: string;
  onProgress?: (bytesRead: number) => void;
  /** Loaded outside the engine (intel indicators, a learned baseline); see detector-resources.ts. */
  resources?: DetectorResources;
}

export async function analyzeCapture(
  input: string | NodeJS.ReadableStream,
  name: string,
  opts: AnalyzeOptions,
): Promise<CaptureAnalysis> {
  const pipeline = new Pipeline({
    captureId: opts.captureId ?? name,
    detectors: createDetectors(opts.config, opts.detectors, opts.resources),
    config: opts.config,
  });
  const errors: CaptureAnalysis['errors'] = [];
  try {
    await readCapture(input, {
      source: name,
      onPacket: (rec) => pipeline.push(rec),
      onProgress: opts.onProgress,
    });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    errors.push({ offset: err.offset, message: err.message });
  }
  pipeline.finish();
  const stats = pipeline.getStats();
  errors.push(...endOfCaptureNotes(name, pipeline));
  return {
    file: name,
    packets: stats.packets,
    bytes: stats.bytes,
    firstSeen: stats.firstTime === null ? null : isoTime(stats.firstTime),
    lastSeen: stats.lastTime === null ? null : isoTime(stats.lastTime),
    linkTypes: stats.linkTypes,
    errors,
    findings: pipeline.findings(),
  };
}
