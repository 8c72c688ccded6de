import { join } from 'node:path';
import { readCapture } from '../engine/capture/read-capture';
import { SHARED_PCAPS } from '../../test/support/paths';
import { LiveChunkCutter, type LiveChunk } from './live-chunk-cutter';
import { newPacketRecord, type PacketRecord } from '../engine/capture/packet-record';

interface Cut {
  seq: number;
  firstFrame: number;
  packets: number;
  fileBytes: number;
  data: Buffer;
  firstTime: number | null;
  lastTime: number | null;
}

function collect(): { cuts: Cut[]; onChunk: (c: LiveChunk) => void } {
  const cuts: Cut[] = [];
  return {
    cuts,
    onChunk: (c) => {
      const data = Buffer.concat(c.parts);
      expect(data.length).toBe(c.fileBytes);
      cuts.push({ ...c, data });
    },
  };
}

function record(tsSec: number, bytes: number[]): PacketRecord {
  const r = newPacketRecord();
  r.buf = Buffer.from(bytes);
  r.capLen = bytes.length;
  r.origLen = bytes.length + 10;
  r.tsSec = tsSec;
  r.tsNsec = 123_456_000;
  r.linkType = 1;
  return r;
}

async function packetsOf(data: Buffer): Promise<Array<{ ts: number; bytes: string; origLen: number }>> {
  const out: Array<{ ts: number; bytes: string; origLen: number }> = [];
  const { Readable } = await import('node:stream');
  await readCapture(Readable.from([data]), {
    onPacket: (r) =>
      out.push({
        ts: r.tsSec + r.tsNsec / 1e9,
        bytes: r.buf.toString('hex', r.offset, r.offset + r.capLen),
        origLen: r.origLen,
      }),
  });
  return out;
}

describe('LiveChunkCutter', () => {
  it('cuts by packet count; every chunk is a readable pcap holding exactly its packets, frames continue', async () => {
    const { cuts, onChunk } = collect();
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 65535,
      maxPackets: 2,
      maxBytes: 1 << 20,
      maxMs: 60_000,
      onChunk,
    });
    for (let i = 0; i < 5; i++) cutter.push(record(1000 + i, [i, i, i]), 0);
    expect(cuts.map((c) => [c.seq, c.firstFrame, c.packets])).toEqual([
      [0, 1, 2],
      [1, 3, 2],
    ]);
    cutter.flush(false);
    expect(cuts.map((c) => [c.seq, c.firstFrame, c.packets])).toEqual([
      [0, 1, 2],
      [1, 3, 2],
      [2, 5, 1],
    ]);
    expect(await packetsOf(cuts[1].data)).toEqual([
      { ts: 1002.123456, bytes: '020202', origLen: 13 },
      { ts: 1003.123456, bytes: '030303', origLen: 13 },
    ]);
    expect(cuts[2]).toMatchObject({ firstTime: 1004.123456, lastTime: 1004.123456 });
    // Nothing open: a plain flush emits nothing, a closing one an empty (header-only) chunk.
    cutter.flush(false);
    expect(cuts).toHaveLength(3);
    cutter.flush(true);
    expect(cuts[3]).toMatchObject({ seq: 3, firstFrame: 6, packets: 0, firstTime: null, lastTime: null });
    expect(cuts[3].data.length).toBe(24);
    expect(await packetsOf(cuts[3].data)).toEqual([]);
  });

  it('cuts before a chunk would pass maxBytes, and by age on tick', () => {
    const { cuts, onChunk } = collect();
    // 24-byte header + 2 × (16 + 100) = 256: a third 100-byte packet would not fit in 300.
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 65535,
      maxPackets: 100,
      maxBytes: 300,
      maxMs: 1000,
      onChunk,
    });
    const big = Array.from({ length: 100 }, () => 7);
    cutter.push(record(1, big), 0);
    cutter.push(record(2, big), 0);
    cutter.push(record(3, big), 0);
    expect(cuts.map((c) => [c.packets, c.fileBytes])).toEqual([[2, 256]]);
    cutter.tick(999); // opened at 0: 999 ms old
    expect(cuts).toHaveLength(1);
    cutter.tick(1000);
    expect(cuts.map((c) => c.packets)).toEqual([2, 1]);
    cutter.tick(5000); // nothing open: no empty chunk
    expect(cuts).toHaveLength(2);
  });

  it('a resumed session continues its seq and frame numbers', () => {
    const { cuts, onChunk } = collect();
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 65535,
      maxPackets: 10,
      maxBytes: 1 << 20,
      maxMs: 1000,
      firstSeq: 7,
      firstFrame: 101,
      onChunk,
    });
    cutter.push(record(1, [1]), 0);
    cutter.flush(true);
    expect(cuts.map((c) => [c.seq, c.firstFrame, c.packets])).toEqual([[7, 101, 1]]);
    expect(cutter.nextSeq).toBe(8);
    expect(cutter.framesSeen).toBe(101);
  });

  it("re-cuts a real capture into chunks whose packets are the file's, byte for byte", async () => {
    const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');
    const want: Array<{ ts: number; bytes: string; origLen: number }> = [];
    const { cuts, onChunk } = collect();
    const cutter = new LiveChunkCutter({
      linkType: 1,
      snaplen: 262144,
      maxPackets: 5,
      maxBytes: 1 << 20,
      maxMs: 1000,
      onChunk,
    });
    await readCapture(file, {
      onPacket: (r) => {
        want.push({
          ts: r.tsSec + r.tsNsec / 1e9,
          bytes: r.buf.toString('hex', r.offset, r.offset + r.capLen),
          origLen: r.origLen,
        });
        cutter.push(r, 0);
      },
    });
    cutter.flush(true);
    const got = [];
    for (const c of cuts) got.push(...(await packetsOf(c.data)));
    expect(got).toEqual(want);
    expect(cuts.map((c) => c.packets).reduce((a, b) => a + b, 0)).toBe(33);
  });
});
