import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureParser } from '../../src/engine/capture/capture-parser';
import { emptyBaselineModel, type BaselineModel } from '../../src/engine/baseline/baseline-model';
import { baselineSession } from '../../src/engine/baseline/baseline-session';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/engine/config';
import { createDetectors } from '../../src/engine/detectors/registry';
import { IndicatorIndexBuilder, type IndicatorIndex, type IndicatorKind } from '../../src/engine/intel/indicator-index';
import { Pipeline } from '../../src/engine/pipeline';
import type { FuzzEngine } from './fuzz-target';
import { FUZZ_HOSTS, FUZZ_NAMES } from './fuzz-hosts';

/**
 * The engine every case runs on: default configuration (its caps are what keeps state bounded,
 * so they are what the heap oracle checks) or every cap made tiny, a small threat-intelligence index naming addresses
 * and names the corpus and the generator use — so the threat-intel detector has hooks and hits —
 * and a network baseline learned from a clean capture, so network-baseline compares.
 */
export function buildFuzzEngine(sharedPcaps: string): FuzzEngine {
  const config = resolveConfig();
  return {
    config,
    tightConfig: resolveConfig(tightCaps(DEFAULT_CONFIG)),
    intel: fuzzIntel(),
    baseline: learnBaseline(join(sharedPcaps, 'attacks', 'clean-web.pcap'), config),
  };
}

/**
 * Every `max…` cap of the configuration lowered to 8 (512 for byte and length caps): small
 * cases then reach the eviction, truncation and finding-limit paths that defaults keep for
 * captures of millions of packets.
 */
export function tightCaps(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && /^max[A-Z]/.test(k)) {
      out[k] = Math.min(v, /Bytes|Length|Body|PerDirection|Total|Message/.test(k) ? 512 : 8);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const inner = tightCaps(v as object);
      if (Object.keys(inner).length) out[k] = inner;
    }
  }
  return out;
}

function fuzzIntel(): IndicatorIndex {
  const b = new IndicatorIndexBuilder();
  const feed = b.addFeed({ name: 'fuzz', severity: 'high' });
  const items: Array<[IndicatorKind, string]> = [
    ['ip', '10.231.0.20'],
    ['ip', '10.231.0.66/31'],
    ['ip', FUZZ_HOSTS.v4[1]],
    ['ip', `${FUZZ_HOSTS.v6[1]}/120`],
    ['domain', 'bank.test'],
    ['domain', 'google.com'],
    ['domain', FUZZ_NAMES[0]],
    ['url', `http://${FUZZ_NAMES[1]}/login`],
  ];
  for (const [kind, v] of items) {
    const refused = b.add(feed, kind, v);
    if (refused !== null) throw new Error(`fuzz intel: ${v}: ${refused}`);
  }
  return b.build();
}

function learnBaseline(file: string, config: ReturnType<typeof resolveConfig>): BaselineModel {
  const session = baselineSession('learn', emptyBaselineModel('fuzz'));
  const pipeline = new Pipeline({
    captureId: 'baseline',
    config,
    detectors: createDetectors(config, ['network-baseline'], { baseline: session }),
  });
  const parser = new CaptureParser({ source: file, onPacket: (r) => pipeline.push(r) });
  parser.write(readFileSync(file));
  parser.end();
  pipeline.finish();
  if (session.learned === null) throw new Error('fuzz baseline: nothing learned');
  return session.learned;
}
