import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFuzzEngine } from '../scripts/fuzz/fuzz-engine';
import { runFuzzCase, type FuzzOutcome } from '../scripts/fuzz/fuzz-target';
import { FIXTURES, SHARED_PCAPS } from './support/paths';

/**
 * Every crash the engine fuzzer found, as the (minimised) capture that caused it: each must go
 * through the whole pipeline — all parsers, all detectors, cut at every packet boundary and
 * carried through JSON — without an exception but a CaptureError, with the same findings.
 * A fixture whose bug lives in a file this work may not change is `open` until its fix lands:
 * its test is expected to fail (jest's it.failing) and starts failing when the fix arrives —
 * then drop `open` here and its entry in scripts/fuzz/known-defects.ts.
 */
interface FuzzFixture {
  file: string;
  found: string;
  open?: string;
}

const DIR = join(FIXTURES, 'fuzz');
const TABLE: FuzzFixture[] = [
  {
    file: 'pcapng-time-beyond-date.pcap',
    found: 'a pcapng timestamp past year 275760 (Date range): isoTime threw RangeError, analyze exited 70',
  },
  {
    file: 'baseline-learned-mac-order.pcap',
    found:
      "network-baseline in auto mode: a host's learned MACs listed in arrival order in one pass, sorted after a snapshot/restore — findings differed when cut",
  },
  {
    file: 'tls-certificate-empty-issuer.pcap',
    found: 'a TLS certificate with an empty DN: TypeError in tls-certificate.ts (issue 13; fixed on main)',
  },
];

describe('engine fuzz fixtures', () => {
  const engine = buildFuzzEngine(SHARED_PCAPS);

  it('the table lists every fixture in fixtures/fuzz', () => {
    expect(readdirSync(DIR).sort()).toEqual(TABLE.map((t) => t.file).sort());
  });

  for (const t of TABLE) {
    const test = t.open === undefined ? it : it.failing;
    test(`${t.file}: ${t.found}`, () => {
      const bytes = readFileSync(join(DIR, t.file));
      const whole = runFuzzCase(engine, { bytes, cutAt: 0, pieceSize: bytes.length, baselineMode: 'detect' });
      expect(whole.packets).toBeGreaterThan(0);
      // Cut at every boundary, the bytes handed over in pieces of 7: same findings each time.
      for (let cutAt = 1; cutAt <= whole.packets; cutAt++) {
        const cut: FuzzOutcome = runFuzzCase(engine, { bytes, cutAt, pieceSize: 7, baselineMode: 'auto' });
        expect(cut.packets).toBe(whole.packets);
      }
    });
  }
});
