import { encodePcapHeader } from '../engine/capture/pcap.writer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_PCAPS } from '../../test/support/paths';
import { CaptureParser } from '../engine/capture/capture-parser';
import { loadSettings } from '../config/settings';
import { JUNK_CHECK_MIN_RECORDS, JunkRecordCounter } from './junk-records';

function count(bytes: Buffer): JunkRecordCounter {
  const junk = new JunkRecordCounter();
  const p = new CaptureParser({ source: 't', onPacket: (rec) => junk.see(rec) });
  try {
    p.write(bytes);
    p.end();
  } catch {
    // Damaged containers (the robustness corpus): the records before the damage are what counts.
  }
  return junk;
}

function pcap(records: Buffer[]): Buffer {
  return Buffer.concat([encodePcapHeader({ linkType: 1, snaplen: 65535 }), ...records]);
}

function record(sec: number, data: Buffer): Buffer {
  const r = Buffer.alloc(16);
  r.writeUInt32LE(sec, 0);
  r.writeUInt32LE(data.length, 8);
  r.writeUInt32LE(data.length, 12);
  return Buffer.concat([r, data]);
}

describe('JunkRecordCounter (UPLOAD_MAX_EMPTY_RECORD_SHARE)', () => {
  const limit = loadSettings({}).upload.maxEmptyRecordShare;

  it('passes every capture in ../shared/pcaps at the default limit', () => {
    const sets = ['attacks', 'public', 'robustness'];
    const tripped: string[] = [];
    let judged = 0;
    for (const set of sets) {
      for (const f of readdirSync(join(SHARED_PCAPS, set)).filter((n) => /\.(pcap|pcapng|cap)$/.test(n))) {
        const junk = count(readFileSync(join(SHARED_PCAPS, set, f)));
        if (junk.records >= JUNK_CHECK_MIN_RECORDS) judged++;
        if (junk.refusal(limit) !== null) tripped.push(`${set}/${f}: ${junk.refusal(limit)}`);
      }
    }
    expect(tripped).toEqual([]);
    expect(judged).toBeGreaterThanOrEqual(4); // the floods and scans are big enough to be judged
  });

  it('does not call a flood of one packet junk: its copies come at distinct times', () => {
    const junk = count(readFileSync(join(SHARED_PCAPS, 'public', 'ipv6-evasion__ipv6-rsmurf__rsmurf6.pcap')));
    expect(junk.records).toBe(1000);
    expect([junk.empty, junk.repeated]).toEqual([0, 0]);
  });

  it('counts empty records and verbatim repeats, and refuses past the share from 1000 records on', () => {
    const pkt = Buffer.from('0123456789abcdef0123456789abcdef');
    const mixed: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 4 === 0) mixed.push(record(i, Buffer.alloc(0)));
      else if (i % 4 === 1) mixed.push(record(i - 1, Buffer.alloc(0)), record(i, pkt), record(i, pkt));
      else mixed.push(record(i, pkt));
    }
    const junk = count(pcap(mixed));
    expect([junk.records, junk.empty, junk.repeated]).toEqual([1500, 500, 250]);
    expect(junk.share).toBeCloseTo(0.5, 6);
    expect(junk.refusal(0.5)).toBeNull(); // at the limit is allowed
    expect(junk.refusal(0.4)).toMatch(
      /^50\.0 % of the 1500 packet records read are empty \(capLen 0: 33\.3 %\) or repeat the record before verbatim \(16\.7 %\); more than 40 % \(UPLOAD_MAX_EMPTY_RECORD_SHARE=0\.4\)/,
    );
    // Below JUNK_CHECK_MIN_RECORDS nothing is judged.
    const small = count(pcap(Array.from({ length: 999 }, () => record(1, Buffer.alloc(0)))));
    expect([small.share, small.refusal(0)]).toEqual([1, null]);
    // The same bytes at another time, or other bytes at the same time, are not repeats.
    const other = Buffer.from(pkt);
    other[31] ^= 1;
    const distinct = count(pcap([record(5, pkt), record(6, pkt), record(6, other), record(6, pkt.subarray(0, 31))]));
    expect(distinct.repeated).toBe(0);
  });
});
