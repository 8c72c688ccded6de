import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from '../src/engine/analyze-capture';
import { resolveConfig } from '../src/engine/config';
import { buildAnomaliesScenario, type ScenarioExpectation } from './support/scenarios/anomalies.scenario';
import { FIXTURES } from './support/paths';

/**
 * Fixture-per-scenario (suricata-verify style): fixtures/<scenario>/input.pcap with the exact
 * findings expected beside it in expected.json; one table-driven test over all of them.
 */
const scenarios = existsSync(FIXTURES)
  ? readdirSync(FIXTURES, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expected.json')))
      .map((d) => d.name)
      .sort()
  : [];

describe('scenario fixtures', () => {
  it('there are scenarios', () => {
    expect(scenarios).toContain('anomalies');
  });

  it.each(scenarios)('%s: exactly the expected findings', async (name) => {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ScenarioExpectation[];
    const a = await analyzeCapture(join(dir, 'input.pcap'), name, { config: resolveConfig() });
    expect(a.errors).toEqual([]);
    const got = a.findings.map((f) => ({
      type: f.type,
      severity: f.severity,
      srcIp: f.src?.ip,
      count: f.count,
      frames: f.evidence.frames,
    }));
    const order = (x: ScenarioExpectation) => `${x.frames[0]}`.padStart(8, '0');
    expect([...got].sort((x, y) => order(x).localeCompare(order(y)))).toEqual(
      [...expected].sort((x, y) => order(x).localeCompare(order(y))),
    );
  });

  it('fixtures/anomalies is exactly what its generator builds (no drift)', () => {
    const { pcap, expected } = buildAnomaliesScenario();
    expect(readFileSync(join(FIXTURES, 'anomalies', 'input.pcap')).equals(pcap)).toBe(true);
    expect(JSON.parse(readFileSync(join(FIXTURES, 'anomalies', 'expected.json'), 'utf8'))).toEqual(expected);
  });
});
