import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from './capture-error';
import { CaptureParser } from './capture-parser';
import { CaptureChunker, type CaptureChunk } from './chunker';
import { ngCustom, ngEpb, ngIdb, ngIsb, ngShb, payload } from './synthetic-captures';

const ROOT = join(__dirname, '../../../../shared/pcaps');

function packetsOf(data: Buffer, firstFrame = 1): string[] {
  const out: string[] = [];
  const p = new CaptureParser({
    source: 'chunk',
    onPacket: (r) =>
      out.push(
        `${r.frame + firstFrame - 1} ${r.linkType} ${r.interfaceId} ${r.tsSec}.${r.tsNsec} ${r.capLen}/${r.origLen} ${r.buf.toString('base64', r.offset, r.offset + r.capLen)}`,
      ),
  });
  p.write(data);
  p.end();
  return out;
}

function chunk(file: Buffer, opts: { maxPackets?: number; maxBytes?: number }, piece = file.length): CaptureChunk[] {
  const chunks: CaptureChunk[] = [];
  const c = new CaptureChunker({ source: 'f', ...opts, onChunk: (ch) => chunks.push(ch) });
  for (let i = 0; i < file.length; i += piece) c.write(file.subarray(i, i + piece));
  c.end();
  return chunks;
}

function expectParity(file: Buffer, opts: { maxPackets?: number; maxBytes?: number }, piece?: number): CaptureChunk[] {
  const whole = packetsOf(file);
  const chunks = chunk(file, opts, piece);
  const joined: string[] = [];
  let next = 1;
  chunks.forEach((ch, i) => {
    expect(ch.seq).toBe(i);
    expect(ch.firstFrame).toBe(next);
    const pk = packetsOf(ch.data, ch.firstFrame);
    expect(pk.length).toBe(ch.packets);
    if (opts.maxPackets !== undefined) expect(ch.packets).toBeLessThanOrEqual(opts.maxPackets);
    next += ch.packets;
    joined.push(...pk);
  });
  expect(joined).toEqual(whole);
  return chunks;
}

describe('CaptureChunker', () => {
  it('splits a real classic pcap into standalone pcaps with the same packets', () => {
    const file = readFileSync(join(ROOT, 'attacks/syn-flood.pcap'));
    const chunks = expectParity(file, { maxPackets: 1000 });
    expect(chunks.length).toBe(19); // 18001 packets
    expect(chunks[18].packets).toBe(1);
    expect(chunks.every((c) => c.data.subarray(0, 24).equals(file.subarray(0, 24)))).toBe(true);
    const byBytes = expectParity(file, { maxBytes: 50_000 }, 777);
    expect(byBytes.every((c) => c.data.length <= 50_000)).toBe(true);
    expect(byBytes.reduce((n, c) => n + c.data.length - 24, 0)).toBe(file.length - 24);
  });

  it('splits pcapng with several interfaces, sections and interleaved blocks', () => {
    const le = true;
    const parts: Buffer[] = [ngShb(le), ngIdb(le, 1), ngIdb(le, 113, { tsresol: 9 })];
    for (let i = 0; i < 40; i++) {
      parts.push(ngEpb(le, i % 2, BigInt(1_700_000_000_000_000 + i), payload(20 + i, i)));
      if (i === 10) parts.push(ngIdb(le, 101, { tsresol: 3 }));
      if (i > 10 && i % 3 === 0) parts.push(ngEpb(le, 2, BigInt(1_700_000_000_000 + i), payload(5, i)));
      if (i % 7 === 0) parts.push(ngIsb(le, 0), ngCustom(le));
    }
    parts.push(ngShb(false), ngIdb(false, 229));
    for (let i = 0; i < 9; i++) parts.push(ngEpb(false, 0, BigInt(i), payload(i, 99)));
    const file = Buffer.concat(parts);
    for (const maxPackets of [1, 2, 3, 7, 1000]) {
      for (const piece of [1, 13, file.length]) expectParity(file, { maxPackets }, piece);
    }
    expectParity(file, { maxBytes: 400 });
    const chunks = chunk(file, { maxPackets: 1000 });
    // A new section always starts a new chunk.
    expect(chunks.map((c) => c.packets)).toEqual([40 + 10, 9]);
  });

  it("splits the real pcapng files with the reader's packets", () => {
    for (const f of ['of13_ericsson.pcapng', 'OSPFv2_Capture_FINAL.pcapng', 'vsock-1.pcapng']) {
      expectParity(readFileSync(join(ROOT, 'robustness', f)), { maxPackets: 3 });
    }
  });

  it("emits a header-only chunk for a capture without packets, and throws the reader's error after a chunk of the whole packets before it", () => {
    const empty = chunk(ngShb(true), {});
    expect(empty.map((c) => [c.seq, c.packets, c.firstFrame, c.data.length])).toEqual([[0, 0, 1, 28]]);
    const file = readFileSync(join(ROOT, 'attacks/clean-web.pcap'));
    const got: CaptureChunk[] = [];
    const c = new CaptureChunker({ source: 'cut.pcap', maxPackets: 10, onChunk: (ch) => got.push(ch) });
    c.write(file.subarray(0, file.length - 5));
    expect(() => c.end()).toThrow(CaptureError);
    expect(got.map((g) => g.packets)).toEqual([10, 10, 10, 10, 6]);
    expect(packetsOf(got[4].data, got[4].firstFrame).map((l) => l.split(' ')[0])).toEqual([
      '41',
      '42',
      '43',
      '44',
      '45',
      '46',
    ]);
  });
});
