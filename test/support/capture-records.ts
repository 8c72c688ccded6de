import { readFileSync } from 'node:fs';
import { CaptureParser } from '../../src/engine/capture/capture-parser';
import type { PacketRecord } from '../../src/engine/capture/packet-record';

/**
 * A capture's records held in memory, each with its own copy of the bytes, so a test can feed
 * them whole or cut anywhere into chunks (the chunk-parity suites).
 */
export type Rec = Pick<
  PacketRecord,
  'linkType' | 'interfaceId' | 'tsSec' | 'tsNsec' | 'capLen' | 'origLen' | 'fileOffset'
> & {
  data: Buffer;
};

export function loadRecords(file: string): Rec[] {
  const recs: Rec[] = [];
  const parser = new CaptureParser({
    source: file,
    onPacket: (r) =>
      recs.push({
        linkType: r.linkType,
        interfaceId: r.interfaceId,
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        capLen: r.capLen,
        origLen: r.origLen,
        fileOffset: r.fileOffset,
        data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)),
      }),
  });
  try {
    parser.write(readFileSync(file));
    parser.end();
  } catch {
    // A damaged tail is fine here: the packets before it are what every run sees.
  }
  return recs;
}

export function toRecord(r: Rec, frame: number): PacketRecord {
  return { ...r, frame, buf: r.data, offset: 0 };
}

/** Deterministic pseudo-random cut points (mulberry32), so a failure reproduces. */
export function cutPoints(n: number, count: number, seed: number): number[] {
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
