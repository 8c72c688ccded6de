import { BadRequestException } from '@nestjs/common';
import { NETWORK_NAME } from '../engine/baseline/baseline-model';
import { BASELINE_MODES, type BaselineMode } from '../engine/baseline/baseline-session';
import { assertKnownDetectors, DETECTORS, UnknownDetectorError } from '../engine/detectors/registry';
import { rejectUnknownParams } from '../http/query-params';

/** `POST /captures` query options, checked before a byte of the body is read. */
export interface UploadOptions {
  /** Store the upload again even when a capture with the same SHA-256 exists. */
  force: boolean;
  /** Detector ids to run; null = all. */
  detectors: string[] | null;
  /** Raw `?name=` (sanitised later with the multipart filename as fallback). */
  name: string | null;
  /** `?baseline=NETWORK[&baselineMode=auto|learn|detect]`: the stored baseline the capture uses; null = none. */
  baseline: { network: string; mode: BaselineMode } | null;
}

export type UploadQuery = Record<string, unknown>;

/** Every query parameter POST /captures takes; any other is refused (a typo must not be ignored). */
export const UPLOAD_PARAMETERS = ['force', 'detectors', 'name', 'baseline', 'baselineMode'] as const;

/** What decides what an analysis finds, besides the bytes: the duplicate check compares it. */
export interface AnalysisOptions {
  detectors: readonly string[] | null;
  baseline: { network: string; mode: string } | null;
}

/**
 * One text per distinct analysis: detectors as a sorted set (all of them = the default, null),
 * the baseline with its mode. Same bytes + same key = a duplicate; another key = another analysis.
 */
export function analysisKey(o: AnalysisOptions): string {
  let detectors = o.detectors === null ? null : [...new Set(o.detectors)].sort();
  if (detectors && DETECTORS.every((d) => detectors!.includes(d.id))) detectors = null;
  return JSON.stringify({ detectors, baseline: o.baseline && { network: o.baseline.network, mode: o.baseline.mode } });
}

function single(query: UploadQuery, key: string): string | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestException(`query parameter ${key} must be given once, as text`);
  return v;
}

export function parseUploadOptions(query: UploadQuery): UploadOptions {
  rejectUnknownParams(query, UPLOAD_PARAMETERS);
  const force = single(query, 'force');
  if (force !== undefined && !/^(true|false|1|0)$/.test(force)) {
    throw new BadRequestException('query parameter force must be true or false');
  }
  const detectorsRaw = single(query, 'detectors');
  let detectors: string[] | null = null;
  if (detectorsRaw !== undefined) {
    detectors = [...new Set(detectorsRaw.split(',').map((d) => d.trim()))];
    if (detectors.some((d) => d === '')) {
      throw new BadRequestException('query parameter detectors must be a comma-separated list of detector ids');
    }
    try {
      assertKnownDetectors(detectors);
    } catch (err) {
      if (err instanceof UnknownDetectorError) throw new BadRequestException(err.message);
      throw err;
    }
  }
  const name = single(query, 'name') ?? null;
  return { force: force === 'true' || force === '1', detectors, name, baseline: baselineOption(query, detectors) };
}

function baselineOption(query: UploadQuery, detectors: string[] | null): UploadOptions['baseline'] {
  const network = single(query, 'baseline');
  const mode = single(query, 'baselineMode');
  if (network === undefined) {
    if (mode !== undefined) throw new BadRequestException('query parameter baselineMode needs baseline=NETWORK');
    return null;
  }
  if (!NETWORK_NAME.test(network))
    throw new BadRequestException("query parameter baseline must be 1-64 letters, digits, '.', '_' or '-'");
  if (mode !== undefined && !BASELINE_MODES.includes(mode as BaselineMode))
    throw new BadRequestException(`query parameter baselineMode must be one of ${BASELINE_MODES.join(', ')}`);
  if (detectors && !detectors.includes('network-baseline'))
    throw new BadRequestException('query parameter baseline needs the network-baseline detector (add it to detectors)');
  return { network, mode: (mode as BaselineMode | undefined) ?? 'auto' };
}
