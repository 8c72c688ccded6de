import { basename, join } from 'node:path';
import { SHARED_PCAPS, capturesIn, fixtureCaptures } from './support/paths';
import { accumulate, loadRecords, runSummary } from './support/summary-run';

/**
 * DESIGN §4 for the traffic summary: a capture cut into chunks at any packet boundary, each
 * chunk run on a fresh Pipeline + TrafficSummary restored through JSON, leaves exactly the rows
 * of one pass once every chunk's delta is upserted in order (what the database holds). Small caps
 * in a second pass make eviction and expiry cross chunk boundaries too.
 */
function cutPoints(n: number, count: number, seed: number): number[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const set = new Set<number>();
  while (set.size < Math.min(count, n - 1)) set.add(1 + Math.floor(rnd() * (n - 1)));
  return [...set].sort((x, y) => x - y);
}

const files = [
  ...fixtureCaptures(),
  ...capturesIn(join(SHARED_PCAPS, 'attacks')),
  ...capturesIn(join(SHARED_PCAPS, 'public')),
];

const SMALL_CAPS = {
  maxFlows: 7,
  maxHosts: 3,
  maxTls: 1,
  maxBuckets: 2,
  tcpIdle: 1,
  closedIdle: 0.5,
  otherIdle: 1,
  bucketIdle: 30,
};

describe('traffic summary chunk-split parity', () => {
  it('has captures to check', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it.each(files.map((f) => [basename(f), f]))('%s: chunked deltas accumulate to the single pass', (_name, file) => {
    const recs = loadRecords(file);
    if (recs.length < 2) return;
    for (const summary of [undefined, SMALL_CAPS]) {
      const whole = accumulate(runSummary(recs, [], { summary }).chunks);
      const plans = [cutPoints(recs.length, 5, 1), cutPoints(recs.length, 60, 2)];
      if (recs.length <= 60) plans.push(Array.from({ length: recs.length - 1 }, (_, i) => i + 1));
      for (const cuts of plans) {
        const split = accumulate(runSummary(recs, cuts, { summary }).chunks);
        expect(split).toEqual(whole);
      }
    }
  });

  it('is not vacuous: captures give flows, hosts, TLS rows and buckets', () => {
    const tls = accumulate(
      runSummary(loadRecords(join(SHARED_PCAPS, 'public', 'tls__tls-subjectaltname__input.pcap'))).chunks,
    );
    expect(tls.flows.size).toBeGreaterThan(30);
    expect(tls.hosts.size).toBeGreaterThan(10);
    expect(tls.tls.size).toBeGreaterThan(10);
    expect(tls.buckets.size).toBeGreaterThan(0);
  });
});
