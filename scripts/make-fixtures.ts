import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAnomaliesScenario } from '../test/support/scenarios/anomalies.scenario';

/**
 * Regenerates the synthetic scenario fixtures (fixtures/<scenario>/input.pcap + expected.json).
 * The scenario test checks the committed files still equal what this produces.
 * usage: npm run build && node dist/scripts/make-fixtures.js
 */
const root = resolve(__dirname, '..', '..');
const dir = join(root, 'fixtures', 'anomalies');
mkdirSync(dir, { recursive: true });
const { pcap, expected } = buildAnomaliesScenario();
writeFileSync(join(dir, 'input.pcap'), pcap);
writeFileSync(join(dir, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
process.stdout.write(`wrote ${dir}: ${pcap.length} bytes, ${expected.length} expected findings\n`);
