import { CaptureError } from './capture-error';
import { CaptureParser } from './capture-parser';
import type { PacketRecord } from './packet-record';
import { payload, synthPcap, type SynthPcapOptions } from './synthetic-captures';

interface Seen {
  frame: number;
  linkType: number;
  interfaceId: number;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  data: string;
  fileOffset: number;
}

function readAll(file: Buffer): { parser: CaptureParser; seen: Seen[] } {
  const seen: Seen[] = [];
  const parser = new CaptureParser({
    source: 'synthetic.pcap',
    onPacket: (r: PacketRecord) =>
      seen.push({
        frame: r.frame,
        linkType: r.linkType,
        interfaceId: r.interfaceId,
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        capLen: r.capLen,
        origLen: r.origLen,
        data: r.buf.toString('hex', r.offset, r.offset + r.capLen),
        fileOffset: r.fileOffset,
      }),
  });
  parser.write(file);
  parser.end();
  return { parser, seen };
}

const p1 = payload(60, 1);
const p2 = payload(1514, 2);
const p3 = payload(1, 3);

describe.each([
  ['little-endian µs', { littleEndian: true, nanosecond: false }, 16],
  ['big-endian µs', { littleEndian: false, nanosecond: false }, 16],
  ['little-endian ns', { littleEndian: true, nanosecond: true }, 16],
  ['big-endian ns', { littleEndian: false, nanosecond: true }, 16],
  ['modified (Kuznetzov) little-endian', { littleEndian: true, modified: true }, 24],
  ['modified (Kuznetzov) big-endian', { littleEndian: false, modified: true }, 24],
] as Array<[string, SynthPcapOptions, number]>)('classic pcap %s', (_name, opts, hl) => {
  const nano = opts.nanosecond === true;
  const file = synthPcap({ ...opts, linkType: 113, snaplen: 100 }, [
    { tsSec: 1_700_000_000, tsFrac: nano ? 999_999_999 : 999_999, data: p1 },
    { tsSec: 0, tsFrac: 0, data: p2.subarray(0, 100), origLen: 1514 },
    { tsSec: 4_294_967_295, tsFrac: nano ? 1 : 1, data: p3, origLen: 9000 },
  ]);

  it('delivers every record with exact fields', () => {
    const { parser, seen } = readAll(file);
    expect(parser.format).toBe('pcap');
    expect(parser.linkTypes).toEqual([113]);
    expect(parser.packets).toBe(3);
    expect(parser.bytesConsumed).toBe(file.length);
    expect(seen).toEqual([
      {
        frame: 1,
        linkType: 113,
        interfaceId: 0,
        tsSec: 1_700_000_000,
        tsNsec: 999_999_999 - (nano ? 0 : 999),
        capLen: 60,
        origLen: 60,
        data: p1.toString('hex'),
        fileOffset: 24,
      },
      {
        frame: 2,
        linkType: 113,
        interfaceId: 0,
        tsSec: 0,
        tsNsec: 0,
        capLen: 100,
        origLen: 1514,
        data: p2.toString('hex', 0, 100),
        fileOffset: 24 + hl + 60,
      },
      {
        frame: 3,
        linkType: 113,
        interfaceId: 0,
        tsSec: 4_294_967_295,
        tsNsec: nano ? 1 : 1000,
        capLen: 1,
        origLen: 9000,
        data: p3.toString('hex'),
        fileOffset: 24 + 2 * hl + 160,
      },
    ]);
  });
});

describe('classic pcap header details', () => {
  it('masks the FCS bits out of the LinkType field', () => {
    // FCS length 4 (bits 28-31) with the F bit (27) set, link type Ethernet.
    const { parser, seen } = readAll(synthPcap({ linkField: 0x48000001 }, [{ tsSec: 1, tsFrac: 2, data: p1 }]));
    expect(parser.linkTypes).toEqual([1]);
    expect(seen[0].linkType).toBe(1);
  });

  it('accepts a header-only file as zero packets', () => {
    const { parser, seen } = readAll(synthPcap({ linkType: 101 }, []));
    expect(seen).toEqual([]);
    expect(parser.packets).toBe(0);
    expect(parser.linkTypes).toEqual([101]);
  });

  it('accepts captured lengths above the snaplen and up to 256 KiB, rejects one byte more', () => {
    const big = payload(262144, 9);
    const ok = readAll(synthPcap({ snaplen: 68 }, [{ tsSec: 1, tsFrac: 0, data: big }]));
    expect(ok.seen[0].capLen).toBe(262144);
    const bad = synthPcap({}, [
      { tsSec: 1, tsFrac: 0, data: p1 },
      { tsSec: 1, tsFrac: 0, data: payload(262145, 1) },
    ]);
    const got: number[] = [];
    const parser = new CaptureParser({ source: 'x.pcap', onPacket: (r) => got.push(r.frame) });
    let err: unknown;
    try {
      parser.write(bad);
    } catch (e) {
      err = e;
    }
    expect(got).toEqual([1]);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('bad-length');
    expect((err as CaptureError).offset).toBe(24 + 16 + 60);
    expect((err as CaptureError).message).toBe(
      'x.pcap: record captured length 262145 exceeds the 262144-byte limit (damaged or not a pcap record) at byte offset 100',
    );
  });

  it('carries an out-of-range microsecond fraction into the seconds', () => {
    const { seen } = readAll(synthPcap({}, [{ tsSec: 10, tsFrac: 2_500_000, data: p1 }]));
    expect([seen[0].tsSec, seen[0].tsNsec]).toEqual([12, 500_000_000]);
  });
});
