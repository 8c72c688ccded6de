import { CaptureError } from './capture-error';
import { CaptureParser } from './capture-parser';
import { ngBlock, ngCustom, ngEpb, ngIdb, ngIsb, ngNrb, ngPb, ngShb, ngSpb, payload } from './synthetic-captures';

type Row = [
  frame: number,
  linkType: number,
  ifId: number,
  tsSec: number,
  tsNsec: number,
  capLen: number,
  origLen: number,
  data: string,
];

function readAll(file: Buffer): { parser: CaptureParser; rows: Row[] } {
  const rows: Row[] = [];
  const parser = new CaptureParser({
    source: 'synthetic.pcapng',
    onPacket: (r) =>
      rows.push([
        r.frame,
        r.linkType,
        r.interfaceId,
        r.tsSec,
        r.tsNsec,
        r.capLen,
        r.origLen,
        r.buf.toString('hex', r.offset, r.offset + r.capLen),
      ]),
  });
  parser.write(file);
  parser.end();
  return { parser, rows };
}

function errorOf(file: Buffer): { err: CaptureError; frames: number[] } {
  const frames: number[] = [];
  const parser = new CaptureParser({ source: 'bad.pcapng', onPacket: (r) => frames.push(r.frame) });
  try {
    parser.write(file);
    parser.end();
  } catch (e) {
    if (e instanceof CaptureError) return { err: e, frames };
    throw e;
  }
  throw new Error('expected a CaptureError');
}

const a = payload(60, 1);
const b = payload(99, 2); // odd length: padding
const c = payload(1514, 3);

describe('pcapng', () => {
  // Section 1 little-endian, four interfaces with different link types and resolutions;
  // section 2 big-endian, which resets the interfaces.
  const t = 1_700_000_123n;
  const section1 = Buffer.concat([
    ngShb(true),
    ngIdb(true, 1), // default 10^-6
    ngIdb(true, 113, { tsresol: 3 }), // ms
    ngIdb(true, 101, { tsresol: 9, tsoffset: 100n }), // ns + offset
    ngIdb(true, 276, { tsresol: 0x94 }), // 2^-20
    ngEpb(true, 0, t * 1_000_000n + 654_321n, a),
    ngNrb(true),
    ngEpb(true, 1, t * 1000n + 999n, b, 500),
    ngCustom(true),
    ngEpb(true, 2, t * 1_000_000_000n + 123_456_789n, c),
    ngIsb(true, 0),
    ngEpb(true, 3, (t << 20n) + (1n << 19n) + 1n, a), // .5 s plus 2^-20 s = 500000953.67 ns
    ngPb(true, 1, t * 1000n + 1n, b),
    ngBlock(true, 0x12345, Buffer.from('unknown block type')),
  ]);
  const section2 = Buffer.concat([
    ngShb(false),
    ngIdb(false, 228, { snaplen: 40, tsresol: 9 }),
    ngIdb(false, 229),
    ngSpb(false, b, 99), // snaplen 40 of interface 0 cuts it
    ngEpb(false, 1, 5n * 1_000_000n + 7n, a, 61),
    ngSpb(false, a.subarray(0, 20), 1500), // caplen = block space (20) < origLen
  ]);
  const file = Buffer.concat([section1, section2]);

  it('reads two sections of different byte order, all packet block kinds, and skips the rest', () => {
    const { parser, rows } = readAll(file);
    expect(parser.format).toBe('pcapng');
    expect(parser.linkTypes).toEqual([1, 113, 101, 276, 228, 229]);
    expect(parser.bytesConsumed).toBe(file.length);
    expect(rows).toEqual([
      [1, 1, 0, 1_700_000_123, 654_321_000, 60, 60, a.toString('hex')],
      [2, 113, 1, 1_700_000_123, 999_000_000, 99, 500, b.toString('hex')],
      [3, 101, 2, 1_700_000_223, 123_456_789, 1514, 1514, c.toString('hex')],
      [4, 276, 3, 1_700_000_123, 500_000_953, 60, 60, a.toString('hex')],
      [5, 113, 1, 1_700_000_123, 1_000_000, 99, 99, b.toString('hex')],
      [6, 228, 0, 0, 0, 40, 99, b.toString('hex', 0, 40)],
      [7, 229, 1, 5, 7000, 60, 61, a.toString('hex')],
      [8, 228, 0, 0, 0, 20, 1500, a.toString('hex', 0, 20)],
    ]);
  });

  it('rejects a packet for an interface the section does not describe (section 2 reset them)', () => {
    const bad = Buffer.concat([section1, ngShb(false), ngIdb(false, 1), ngEpb(false, 3, 0n, a)]);
    const { err, frames } = errorOf(bad);
    expect(frames).toEqual([1, 2, 3, 4, 5]);
    expect(err.code).toBe('bad-format');
    expect(err.offset).toBe(section1.length + 28 + 32);
    expect(err.reason).toBe('packet for interface 3, but the section describes 1 interface(s)');
  });

  it('rejects a block length that is not a multiple of 4', () => {
    const shb = ngShb(true);
    const idb = ngIdb(true, 1);
    const epb = ngEpb(true, 0, 0n, a);
    epb.writeUInt32LE(epb.length + 2, 4);
    const { err, frames } = errorOf(Buffer.concat([shb, idb, ngEpb(true, 0, 0n, a), epb]));
    expect(frames).toEqual([1]);
    expect(err.code).toBe('bad-length');
    expect(err.offset).toBe(shb.length + idb.length + epb.length);
  });

  it('rejects a mismatched trailing length, a huge block length and a huge captured length', () => {
    const head = Buffer.concat([ngShb(true), ngIdb(true, 1)]);
    expect(errorOf(Buffer.concat([head, ngBlock(true, 6, Buffer.alloc(40), undefined, 44)])).err.reason).toBe(
      'block type 0x6 length 52 does not match its trailing length 44',
    );
    const huge = Buffer.concat([head, ngBlock(true, 6, Buffer.alloc(40), 0x40000000)]);
    expect(errorOf(huge).err.code).toBe('bad-length');
    expect(errorOf(huge).err.offset).toBe(head.length);
    const gib = errorOf(Buffer.concat([head, ngEpb(true, 0, 0n, a, 60, 1 << 30)])).err;
    expect([gib.code, gib.offset, gib.reason]).toEqual([
      'bad-length',
      head.length,
      'packet captured length 1073741824 exceeds the 262144-byte limit',
    ]);
    const over = errorOf(Buffer.concat([head, ngEpb(true, 0, 0n, a, 60, 80)])).err;
    expect([over.code, over.reason]).toEqual([
      'bad-length',
      'packet captured length 80 does not fit its 104-byte block',
    ]);
  });

  it('rejects a captured length above maxCapLen that fits its block, after the packets before it (both byte orders)', () => {
    for (const le of [true, false]) {
      const head = Buffer.concat([ngShb(le), ngIdb(le, 1)]);
      const good = ngEpb(le, 0, 1_000_000n, payload(59, 4));
      const frames: number[] = [];
      const parser = new CaptureParser({ source: 'cap.pcapng', maxCapLen: 59, onPacket: (r) => frames.push(r.frame) });
      let err: unknown = null;
      try {
        parser.write(Buffer.concat([head, good, good, ngEpb(le, 0, 0n, a)]));
      } catch (e) {
        err = e;
      }
      expect(frames).toEqual([1, 2]);
      expect(err).toBeInstanceOf(CaptureError);
      const ce = err as CaptureError;
      expect([ce.code, ce.offset, ce.reason]).toEqual([
        'bad-length',
        head.length + 2 * good.length,
        'packet captured length 60 exceeds the 59-byte limit',
      ]);
    }
  });

  it('rejects an SHB with a bad byte-order magic or unknown major version, and blocks before an IDB', () => {
    const shb = ngShb(true);
    shb.writeUInt32LE(0x11223344, 8);
    expect(errorOf(shb).err.reason).toBe('section header block has an invalid byte-order magic (bytes 44332211)');
    expect(errorOf(ngShb(true, undefined, 2)).err.reason).toBe('unsupported pcapng version 2');
    expect(errorOf(Buffer.concat([ngShb(true), ngSpb(true, a)])).err.reason).toBe(
      'simple packet block before any interface description block',
    );
  });

  it('accepts a file with a section and no interfaces or packets', () => {
    const { parser, rows } = readAll(ngShb(false));
    expect([parser.format, parser.packets, parser.linkTypes, rows]).toEqual(['pcapng', 0, [], []]);
  });
});
