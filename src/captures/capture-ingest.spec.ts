import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CaptureParser } from '../engine/capture/capture-parser';
import { SHARED_PCAPS } from '../../test/support/paths';
import { ingestCapture, IngestError, type IngestOptions } from './capture-ingest';

const SCAN = join(SHARED_PCAPS, 'attacks', 'scan-syn.pcap');

function countPackets(buf: Buffer): number {
  let n = 0;
  const p = new CaptureParser({ source: 't', onPacket: () => n++ });
  p.write(buf);
  p.end();
  return n;
}

/** Feeds the bytes in small pieces, as a socket would. */
function streamOf(buf: Buffer, piece = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += piece) parts.push(buf.subarray(i, i + piece));
  return Readable.from(parts);
}

describe('ingestCapture', () => {
  let dir: string;
  const opts = (o: Partial<IngestOptions> = {}): IngestOptions => ({
    dir: join(dir, 'c'),
    source: 'upload.pcap',
    maxBytes: 1 << 30,
    chunkMaxBytes: 64 * 1024,
    chunkMaxPackets: 500,
    ...o,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-ingest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts a capture into standalone chunk files holding every packet once, with its SHA-256', async () => {
    const bytes = readFileSync(SCAN);
    const total = countPackets(bytes);
    const r = await ingestCapture(streamOf(bytes), opts());
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.sizeBytes).toBe(bytes.length);
    expect(r.format).toBe('pcap');
    expect(r.errors).toEqual([]);
    expect(r.chunks.length).toBeGreaterThan(2);
    let frame = 1;
    for (const c of r.chunks) {
      expect(c.firstFrame).toBe(frame);
      expect(countPackets(readFileSync(join(opts().dir, c.file)))).toBe(c.packets);
      frame += c.packets;
    }
    expect(frame - 1).toBe(total);
    expect(readdirSync(opts().dir).sort()).toEqual(r.chunks.map((c) => c.file));
  });

  it('undoes gzip on the fly: same hash and chunks as the plain file', async () => {
    const bytes = readFileSync(SCAN);
    const plain = await ingestCapture(streamOf(bytes), opts({ dir: join(dir, 'a') }));
    const gz = await ingestCapture(streamOf(gzipSync(bytes)), opts({ dir: join(dir, 'b') }));
    expect(gz.gzip).toBe(true);
    expect(gz.sha256).toBe(plain.sha256);
    expect(gz.chunks).toEqual(plain.chunks);
  });

  it.each([
    ['garbage', Buffer.from('<html><body>hello</body></html>'), 415, /HTML page/],
    ['zero bytes', Buffer.alloc(0), 400, /empty/],
    ['a truncated global header', readFileSync(SCAN).subarray(0, 10), 422, /truncated|no packet/],
  ])('refuses %s with %d and a reason', async (_name, bytes, status, reason) => {
    const err = await ingestCapture(streamOf(bytes), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).status).toBe(status);
    expect((err as IngestError).message).toMatch(reason);
  });

  it('refuses a capture over the size cap (after decompression: a gzip bomb is caught too)', async () => {
    const bytes = readFileSync(SCAN);
    for (const body of [bytes, gzipSync(bytes)]) {
      const err = await ingestCapture(streamOf(body), opts({ maxBytes: bytes.length - 1 })).catch((e: unknown) => e);
      expect((err as IngestError).status).toBe(413);
    }
  });

  it('keeps the packets before a truncated tail and reports the damage', async () => {
    const bytes = readFileSync(SCAN);
    const cut = bytes.subarray(0, bytes.length - 7);
    const r = await ingestCapture(streamOf(cut), opts());
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].message).toMatch(/ends inside a packet record/);
    expect(r.chunks.reduce((n, c) => n + c.packets, 0)).toBe(countPackets(bytes) - 1);
  });
});
