import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Builds a large classic pcap (little-endian, microseconds, Ethernet) from small ones: the
 * records of `sources`, one source after another, `times` over, each copy moved forward in
 * packet time (a source's own spacing kept, `gapSec` between copies), so time only moves on and
 * detector windows and expiry see fresh traffic every round. For fault tests that need a
 * capture with many chunks that takes seconds to analyse.
 */
export function writeRepeatedCapture(out: string, sources: string[], times: number, gapSec = 120): { packets: number } {
  let header: Buffer | null = null;
  const loaded = sources.map((src) => {
    const buf = readFileSync(src);
    if (buf.readUInt32LE(0) !== 0xa1b2c3d4 || buf.readUInt32LE(20) !== 1) {
      throw new Error(`${src}: only little-endian microsecond Ethernet pcaps are repeated`);
    }
    header ??= Buffer.from(buf.subarray(0, 24));
    const records: Array<{ ts: number; rest: Buffer }> = [];
    for (let off = 24; off + 16 <= buf.length;) {
      const incl = buf.readUInt32LE(off + 8);
      records.push({ ts: buf.readUInt32LE(off), rest: buf.subarray(off + 4, off + 16 + incl) });
      off += 16 + incl;
    }
    const first = records[0].ts;
    return { records, first, span: records[records.length - 1].ts - first };
  });
  const parts: Buffer[] = [header!];
  let t = 1_700_000_000;
  let packets = 0;
  for (let round = 0; round < times; round++) {
    for (const s of loaded) {
      for (const r of s.records) {
        const ts = Buffer.alloc(4);
        ts.writeUInt32LE(t + (r.ts - s.first), 0);
        parts.push(ts, r.rest);
        packets++;
      }
      t += s.span + gapSec;
    }
  }
  writeFileSync(out, Buffer.concat(parts));
  return { packets };
}
