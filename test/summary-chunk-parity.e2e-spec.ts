import { basename, join } from 'node:path';
import { SHARED_PCAPS, capturesIn, fixtureCaptures } from './support/paths';
import { cutPoints, loadRecords } from './support/capture-records';
import { accumulate, runSummary } from './support/summary-run';

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
