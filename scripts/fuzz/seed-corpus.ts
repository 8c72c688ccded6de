import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutOf, PCAPNG, type CaptureLayout } from './capture-units';
import type { Prng } from './prng';

/** A real capture the mutator starts from (read-only: mutations work on copies). */
export interface SeedCapture {
  name: string;
  bytes: Buffer;
  layout: CaptureLayout | null;
}

const SETS = ['attacks', 'public', 'robustness'];
/** Larger captures are fuzzed a window at a time: a case stays milliseconds, not seconds. */
export const SEED_WINDOW_BYTES = 64 * 1024;

/** Every capture of ../shared/pcaps (attacks, public, robustness), in a stable order. */
export function loadSeedCorpus(sharedPcaps: string): SeedCapture[] {
  const seeds: SeedCapture[] = [];
  for (const set of SETS) {
    for (const f of readdirSync(join(sharedPcaps, set)).sort()) {
      const bytes = readFileSync(join(sharedPcaps, set, f));
      seeds.push({ name: `${set}/${f}`, bytes, layout: layoutOf(bytes) });
    }
  }
  return seeds;
}

/**
 * The seed itself when small; else its headers (file header, section and interface blocks
 * before the window) followed by a run of whole units from a random place, up to maxBytes.
 */
export function seedWindow(seed: SeedCapture, r: Prng, maxBytes = SEED_WINDOW_BYTES): Buffer {
  const l = seed.layout;
  if (seed.bytes.length <= maxBytes || l === null || l.units.length < 2) return seed.bytes;
  const isHeader = (t: number) => t === -1 || t === PCAPNG.SHB || t === PCAPNG.IDB;
  const from = 1 + r.int(l.units.length - 1);
  const parts: Buffer[] = [];
  for (let i = 0; i < from; i++) {
    const u = l.units[i];
    if (isHeader(u.type)) parts.push(seed.bytes.subarray(u.start, u.end));
  }
  let size = 0;
  for (let i = from; i < l.units.length && size < maxBytes; i++) {
    const u = l.units[i];
    parts.push(seed.bytes.subarray(u.start, u.end));
    size += u.end - u.start;
  }
  return Buffer.concat(parts);
}
