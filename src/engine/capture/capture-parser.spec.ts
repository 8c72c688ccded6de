import { CaptureError } from './capture-error';
import { CaptureParser } from './capture-parser';
import { ngCustom, ngEpb, ngIdb, ngIsb, ngNrb, ngShb, ngSpb, payload, synthPcap } from './synthetic-captures';

function collect(pieces: Buffer[]): { frames: string[]; error: CaptureError | null; parser: CaptureParser } {
  const frames: string[] = [];
  const parser = new CaptureParser({
    source: 'cut.cap',
    onPacket: (r) =>
      frames.push(
        `${r.frame}/${r.linkType}/${r.tsSec}.${r.tsNsec}/${r.fileOffset}/${r.buf.toString('hex', r.offset, r.offset + r.capLen)}`,
      ),
  });
  try {
    for (const p of pieces) parser.write(p);
    parser.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { frames, error: e, parser };
  }
  return { frames, error: null, parser };
}

function bytewise(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.subarray(i, i + 1));
  return out;
}

const pcapUnits = [
  synthPcap({ linkType: 1 }, []),
  ...[payload(60, 1), payload(7, 2), payload(0, 3), payload(33, 4)].map((d, i) =>
    synthPcap({ linkType: 1 }, [{ tsSec: 100 + i, tsFrac: i, data: d }]).subarray(24),
  ),
];
const ngUnits = [
  ngShb(true),
  ngIdb(true, 1),
  ngEpb(true, 0, 1_000_000n, payload(60, 1)),
  ngNrb(true),
  ngIdb(true, 101, { tsresol: 9 }),
  ngEpb(true, 1, 2_000_000_001n, payload(13, 2)),
  ngIsb(true, 0),
  ngShb(false),
  ngIdb(false, 113),
  ngSpb(false, payload(21, 3)),
  ngCustom(false),
];

describe.each([
  ['pcap', pcapUnits, [false, true, true, true, true]],
  ['pcapng', ngUnits, [false, false, true, false, false, true, false, false, false, true, false]],
] as Array<[string, Buffer[], boolean[]]>)('%s input cut or split anywhere', (_name, units, isPacket) => {
  const file = Buffer.concat(units);
  const whole = collect([file]);
  const starts: number[] = [];
  let at = 0;
  for (const u of units) {
    starts.push(at);
    at += u.length;
  }

  it('reads the whole file', () => {
    expect(whole.error).toBeNull();
    expect(whole.frames.length).toBe(isPacket.filter(Boolean).length);
    expect(whole.parser.bytesConsumed).toBe(file.length);
  });

  it('gives identical records when fed one byte at a time, and in uneven pieces', () => {
    expect(collect(bytewise(file)).frames).toEqual(whole.frames);
    for (const size of [2, 3, 5, 17, 64]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < file.length; i += size) pieces.push(file.subarray(i, i + size));
      expect(collect(pieces).frames).toEqual(whole.frames);
    }
  });

  it('at every cut: delivers all whole packets before it, then reports the incomplete unit offset', () => {
    for (let k = 0; k <= file.length; k++) {
      const cut = file.subarray(0, k);
      for (const pieces of [[cut], bytewise(cut)]) {
        const got = collect(pieces);
        // Units wholly before the cut, and the unit (if any) the cut falls inside.
        let done = 0;
        let packets = 0;
        while (done < units.length && starts[done] + units[done].length <= k) {
          if (isPacket[done]) packets++;
          done++;
        }
        const label = `cut at ${k}`;
        expect([label, got.frames]).toEqual([label, whole.frames.slice(0, packets)]);
        if (k === 0) expect([label, got.error?.code]).toEqual([label, 'empty']);
        else if (done === units.length || starts[done] === k) expect([label, got.error]).toEqual([label, null]);
        else {
          expect([label, got.error?.code, got.error?.offset]).toEqual([label, 'truncated', starts[done]]);
          expect(got.parser.bytesConsumed).toBe(starts[done]);
        }
      }
    }
  });
});

describe('not a capture', () => {
  function notCapture(bytes: Buffer | string): CaptureError {
    const { error } = collect([Buffer.from(bytes as string, 'latin1')]);
    if (error === null) throw new Error('expected an error');
    return error;
  }

  it.each([
    [
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
      'first bytes 1f 8b 08 00 00 00 00 00 (gzip-compressed data (decompress first)) are not a pcap or pcapng magic number',
    ],
    [
      Buffer.from('PK\x03\x04\x14\x00\x00\x00rest', 'latin1'),
      'first bytes 50 4b 03 04 14 00 00 00 (a zip archive (extract the capture first)) are not a pcap or pcapng magic number',
    ],
    ['%PDF-1.7\n...', 'first bytes 25 50 44 46 2d 31 2e 37 (a PDF document) are not a pcap or pcapng magic number'],
    ['<html><body>', 'first bytes 3c 68 74 6d 6c 3e 3c 62 (an HTML page) are not a pcap or pcapng magic number'],
    [
      '\x7fELF\x02\x01\x01\x00',
      'first bytes 7f 45 4c 46 02 01 01 00 (an ELF executable) are not a pcap or pcapng magic number',
    ],
    ['hello world, not a capture', 'first bytes 68 65 6c 6c 6f 20 77 6f (text) are not a pcap or pcapng magic number'],
    [
      Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8]),
      'first bytes 00 01 02 03 04 05 06 07 are not a pcap or pcapng magic number',
    ],
    ['abc', 'first bytes 61 62 63 (text) are not a pcap or pcapng magic number'],
  ])('names what %s is', (input, reason) => {
    const err = notCapture(input as Buffer);
    expect([err.code, err.offset, err.reason]).toEqual(['not-a-capture', 0, reason]);
    expect(err.message).toBe(`cut.cap: ${reason} at byte offset 0`);
    expect(err.message).not.toContain('\n');
  });

  it('throws not-a-capture from write() as soon as 8 bytes are in, and again on every later call', () => {
    const parser = new CaptureParser({ source: 's', onPacket: () => undefined });
    parser.write(Buffer.from('GET / HT', 'latin1').subarray(0, 7));
    expect(() => parser.write(Buffer.from('T'))).toThrow(CaptureError);
    expect(() => parser.write(Buffer.from('more'))).toThrow('first bytes 47 45 54 20 2f 20 48 54 (text)');
    expect(() => parser.end()).toThrow('not a pcap or pcapng');
  });

  it('reports empty input, and a lone magic prefix as truncated', () => {
    expect(notCapture('').code).toBe('empty');
    const e = notCapture(Buffer.from([0x0a, 0x0d, 0x0d]));
    expect([e.code, e.offset, e.reason]).toEqual([
      'truncated',
      0,
      'input ends after 3 byte(s), inside the capture file header',
    ]);
  });

  it('rejects a 1 GiB captured length without allocating it, after the packets before it', () => {
    const before = process.memoryUsage().arrayBuffers;
    const file = synthPcap({}, [
      { tsSec: 1, tsFrac: 0, data: payload(10, 1) },
      { tsSec: 2, tsFrac: 0, data: payload(10, 2), capLenField: 1 << 30 },
    ]);
    const got = collect(bytewise(file));
    expect(got.frames.length).toBe(1);
    expect([got.error?.code, got.error?.offset]).toEqual(['bad-length', 50]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
