import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SHARED_PCAPS } from '../../test/support/paths';
import { readCapture } from '../engine/capture/read-capture';
import { exportCapture } from './capture-export';
import { ingestCapture } from './capture-ingest';

async function packets(input: string | NodeJS.ReadableStream): Promise<string[]> {
  const out: string[] = [];
  await readCapture(input, {
    onPacket: (r) =>
      out.push(`${r.tsSec}.${r.tsNsec} ${r.linkType} ${r.buf.toString('hex', r.offset, r.offset + r.capLen)}`),
  });
  return out;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

describe('exportCapture', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function ingest(file: string, perChunk: number) {
    const dir = mkdtempSync(join(tmpdir(), 'nw-export-'));
    dirs.push(dir);
    const r = await ingestCapture(createReadStream(file), {
      dir,
      source: file,
      maxBytes: 1 << 30,
      chunkMaxBytes: 1 << 24,
      chunkMaxPackets: perChunk,
    });
    return { dir, r, chunks: r.chunks.map((c) => ({ ...c, prunedAt: null as Date | null })) };
  }

  it.each([
    ['pcap', join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap')],
    ['pcapng', join(SHARED_PCAPS, 'robustness', 'OSPFv2_Capture_FINAL.pcapng')],
  ])('joins %s chunks back into the file’s packets, in order', async (_kind, file) => {
    const { dir, r, chunks } = await ingest(file, 4);
    expect(chunks.length).toBeGreaterThan(2);
    const out = await exportCapture(dir, r.format!, chunks);
    expect(out).toMatchObject({ missing: 0, exported: chunks.length });
    expect(await packets(Readable.from([await collect(out.stream)]))).toEqual(await packets(file));
  });

  it('leaves out pruned chunks and counts them', async () => {
    const file = join(SHARED_PCAPS, 'attacks', 'ftp-login.pcap');
    const { dir, r, chunks } = await ingest(file, 10);
    chunks[0].prunedAt = new Date();
    const out = await exportCapture(dir, r.format!, chunks);
    expect(out).toMatchObject({ missing: 1, exported: chunks.length - 1 });
    expect(await packets(Readable.from([await collect(out.stream)]))).toEqual((await packets(file)).slice(10));
  });
});
