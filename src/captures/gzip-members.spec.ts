import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipMembers } from './gzip-members';

/** The real gzip binary (argv, no shell): compresses, or decodes as the reference. */
function gzip(args: string[], input: Buffer): { out: Buffer; status: number | null; stderr: string } {
  const r = spawnSync('gzip', args, { input, maxBuffer: 256 * 1024 * 1024 });
  return { out: r.stdout, status: r.status, stderr: r.stderr.toString() };
}

/** Some compressible bytes that are not all alike (text and random runs). */
function sample(n: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.reduce((a, p) => a + p.length, 0) < n; i++) {
    parts.push(i % 3 === 0 ? randomBytes(300) : Buffer.from(`line ${seed}.${i} of a capture-sized sample\n`));
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** Decodes `bytes` fed in pieces of `piece` bytes; resolves with the output and the trailing count. */
async function decode(bytes: Buffer, piece: number): Promise<{ out: Buffer; trailing: number }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) parts.push(bytes.subarray(i, i + piece));
  const out: Buffer[] = [];
  let trailing = 0;
  await pipeline(Readable.from(parts), gunzipMembers({ onTrailingBytes: (n) => (trailing = n) }), async (src) => {
    for await (const b of src as AsyncIterable<Buffer>) out.push(b);
  });
  return { out: Buffer.concat(out), trailing };
}

describe('gunzipMembers (gzip -d semantics, streamed)', () => {
  const a = sample(300_000, 1);
  const b = sample(123_457, 2);
  const gzA = gzip(['-c', '-n'], a).out;
  const gzB = gzip(['-c'], b).out;

  it.each([7, 4096, 1 << 20])('decodes one member as gzip -d does (pieces of %i bytes)', async (piece) => {
    const { out, trailing } = await decode(gzA, piece);
    expect(out.equals(a)).toBe(true);
    expect(trailing).toBe(0);
  });

  it.each([100, 4096, 65536])(
    'decodes concatenated members (cat a.gz b.gz) as the concatenation (pieces of %i)',
    async (piece) => {
      const cat = Buffer.concat([gzA, gzB, gzA]);
      expect(gzip(['-dc'], cat).out.equals(Buffer.concat([a, b, a]))).toBe(true); // the reference
      const { out, trailing } = await decode(cat, piece);
      expect(out.equals(Buffer.concat([a, b, a]))).toBe(true);
      expect(trailing).toBe(0);
    },
  );

  it('skips the optional header fields: extra and file name', async () => {
    // gzip from stdin writes neither field: the header is written by hand around its deflate data.
    const plain = gzA;
    const flags = 0x04 | 0x08; // FEXTRA | FNAME
    const header = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3]),
      Buffer.from([4, 0, 0x41, 0x42, 0, 0]), // XLEN 4: one empty 'AB' subfield
      Buffer.from('capture.pcap\0', 'latin1'),
    ]);
    const withFields = Buffer.concat([header, plain.subarray(10)]);
    expect(gzip(['-dc'], withFields).out.equals(a)).toBe(true);
    expect((await decode(withFields, 50)).out.equals(a)).toBe(true);
  });

  it('ignores and counts bytes after the last member that are not another member (gzip: trailing garbage ignored)', async () => {
    for (const tail of [Buffer.from('GARBAGE'), Buffer.alloc(5000), Buffer.from([0x1f])]) {
      const input = Buffer.concat([gzA, gzB, tail]);
      const ref = gzip(['-dc'], input);
      expect(ref.out.equals(Buffer.concat([a, b]))).toBe(true);
      for (const piece of [100, 1000, 1 << 20]) {
        const { out, trailing } = await decode(input, piece);
        expect([piece, out.equals(Buffer.concat([a, b])), trailing]).toEqual([piece, true, tail.length]);
      }
    }
  });

  it('fails with a zlib-style code on damage, after what decoded before it', async () => {
    const cases: Array<[Buffer, string, RegExp]> = [
      [gzA.subarray(0, gzA.length - 100), 'Z_BUF_ERROR', /unexpected end of file/],
      [gzA.subarray(0, gzA.length - 4), 'Z_BUF_ERROR', /trailer cut off/],
      [
        Buffer.concat([gzA.subarray(0, gzA.length - 8), Buffer.from([1, 2, 3, 4]), gzA.subarray(-4)]),
        'Z_DATA_ERROR',
        /CRC-32/,
      ],
      [Buffer.concat([gzA.subarray(0, gzA.length - 4), Buffer.from([1, 2, 3, 4])]), 'Z_DATA_ERROR', /length/],
      [Buffer.concat([gzA, Buffer.from([0x1f, 0x8b, 0x58])]), 'Z_BUF_ERROR', /member 2: header cut off/],
      [
        Buffer.concat([gzA, Buffer.from([0x1f, 0x8b, 0x58, 0, 0, 0, 0, 0, 0, 0])]),
        'Z_DATA_ERROR',
        /member 2: unknown compression method 88/,
      ],
    ];
    for (const [input, code, message] of cases) {
      expect(gzip(['-dc'], input).status).not.toBe(0); // gzip -d calls each of them an error too
      const out: Buffer[] = [];
      const run = pipeline(Readable.from([input]), gunzipMembers({ onTrailingBytes: () => undefined }), async (src) => {
        for await (const buf of src as AsyncIterable<Buffer>) out.push(buf);
      });
      await expect(run).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      if (/member 2/.test(message.source)) expect(Buffer.concat(out).equals(a)).toBe(true);
    }
  });
});
