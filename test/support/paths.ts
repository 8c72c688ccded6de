import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The project root and the shared captures beside the clone (CI has ../shared too). */
// Two levels up from test/support — or three when this runs compiled, from dist/test/support (the bench).
const up = resolve(__dirname, '..', '..');
export const ROOT = basename(up) === 'dist' ? dirname(up) : up;
export const SHARED_PCAPS = resolve(ROOT, '..', 'shared', 'pcaps');
export const FIXTURES = join(ROOT, 'fixtures');

export function capturesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Every capture under fixtures/ (one level of scenario folders), but the fuzzer's crash reproducers. */
export function fixtureCaptures(): string[] {
  if (!existsSync(FIXTURES)) return [];
  const out: string[] = [...capturesIn(FIXTURES)];
  for (const d of readdirSync(FIXTURES, { withFileTypes: true }))
    // fixtures/fuzz holds the engine fuzzer's crash reproducers — damaged on purpose (tshark calls
    // one cut short) — with a table test of their own (test/fuzz-fixtures.spec.ts, every cut).
    if (d.isDirectory() && d.name !== 'fuzz') out.push(...capturesIn(join(FIXTURES, d.name)));
  return out.sort();
}

/** fixtures + shared public + shared attacks: the captures whose decoding must agree with tshark. */
export function referenceCaptures(): string[] {
  return [
    ...fixtureCaptures(),
    ...capturesIn(join(SHARED_PCAPS, 'public')),
    ...capturesIn(join(SHARED_PCAPS, 'attacks')),
  ];
}

export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
}
