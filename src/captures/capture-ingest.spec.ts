import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CaptureParser } from '../engine/capture/capture-parser';
import { SHARED_PCAPS } from '../../test/support/paths';
import { loadSettings } from '../config/settings';
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

  describe('bounded cost per upload', () => {
    const pcapHeader = () => readFileSync(SCAN).subarray(0, 24);
    /** The source and how many of its bytes the ingest has pulled so far. */
    function pulledFrom(buf: Buffer, piece = 64 * 1024): { stream: Readable; pulled: () => number } {
      let pulled = 0;
      const stream = Readable.from(
        (function* () {
          for (let i = 0; i < buf.length; i += piece) {
            pulled += Math.min(piece, buf.length - i);
            yield buf.subarray(i, i + piece);
          }
        })(),
      );
      return { stream, pulled: () => pulled };
    }

    it('refuses a gzip that inflates beyond maxGzipRatio at once, having read little of it', async () => {
      // A record claiming 2 GB stops the parser: only the ratio cap (or the size cap, much later) can stop this.
      const bad = Buffer.alloc(16);
      bad.writeUInt32LE(0x7fffffff, 8);
      const scan = readFileSync(SCAN);
      const head = gzipSync(Buffer.concat([pcapHeader(), scan.subarray(24, 24 + 16 + scan.readUInt32LE(32)), bad]));
      const zeros = gzipSync(Buffer.alloc(10 * 1024 * 1024), { level: 9 });
      const bomb = Buffer.concat([head, ...Array.from({ length: 100 }, () => zeros)]); // 1 GB in ~1 MB
      const src = pulledFrom(bomb);
      const err = await ingestCapture(src.stream, opts({ maxGzipRatio: 100 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IngestError);
      expect((err as IngestError).status).toBe(413);
      expect((err as IngestError).message).toMatch(
        /inflates to more than 100 times its size .*UPLOAD_MAX_GZIP_RATIO=100/,
      );
      // Members are read one at a time, so the decoder does not run ahead of the check.
      expect(src.pulled()).toBeLessThan(512 * 1024);
      // Without the cap the same bytes are all read (the size cap is what stops them then).
      const uncapped = pulledFrom(bomb);
      const late = await ingestCapture(
        uncapped.stream,
        opts({ dir: join(dir, 'u'), maxBytes: 200 * 1024 * 1024 }),
      ).catch((e: unknown) => e);
      expect((late as IngestError).message).toMatch(/UPLOAD_MAX_BYTES/);
      expect(uncapped.pulled()).toBeGreaterThan(150_000);
    });

    it('takes every capture in ../shared/pcaps gzip -9 compressed under the default limits', async () => {
      const limits = loadSettings({}).upload;
      const refused: string[] = [];
      let worst = { ratio: 0, file: '' };
      for (const set of ['attacks', 'public', 'robustness']) {
        for (const f of readdirSync(join(SHARED_PCAPS, set))) {
          if (!/\.(pcap|pcapng|cap)$/.test(f)) continue;
          const bytes = readFileSync(join(SHARED_PCAPS, set, f));
          const gz = gzipSync(bytes, { level: 9 });
          if (bytes.length > 1024 * 1024 && bytes.length / gz.length > worst.ratio)
            worst = { ratio: bytes.length / gz.length, file: f };
          const err = await ingestCapture(
            streamOf(gz, 64 * 1024),
            opts({
              dir: join(dir, 'all'),
              maxGzipRatio: limits.maxGzipRatio,
              maxEmptyRecordShare: limits.maxEmptyRecordShare,
            }),
          ).then(
            () => null,
            (e: unknown) => e,
          );
          rmSync(join(dir, 'all'), { recursive: true, force: true });
          // Damaged containers (the robustness corpus) may be refused for that — never for cost.
          if (err instanceof IngestError && [413, 429].includes(err.status)) refused.push(`${f}: ${err.message}`);
          if (err instanceof IngestError && /UPLOAD_MAX_EMPTY_RECORD_SHARE/.test(err.message))
            refused.push(`${f}: ${err.message}`);
          if (err !== null && !(err instanceof IngestError)) refused.push(`${f}: ${String(err)}`);
        }
      }
      expect(refused).toEqual([]);
      // The most compressible capture past the 1 MiB allowance (a DHCP flood, ~45x) is well inside the cap.
      expect(worst.ratio).toBeGreaterThan(20);
      expect(worst.ratio).toBeLessThan(limits.maxGzipRatio / 2);
    });

    it('refuses records mostly empty or repeated (422 naming the share) before writing a chunk of them', async () => {
      const empty = Buffer.alloc(16 * 5000);
      for (let i = 0; i < 5000; i++) empty.writeUInt32LE(1_700_000_000 + i, i * 16);
      const err = await ingestCapture(
        streamOf(Buffer.concat([pcapHeader(), empty])),
        opts({ maxEmptyRecordShare: 0.5, chunkMaxPackets: 1000 }),
      ).catch((e: unknown) => e);
      expect((err as IngestError).status).toBe(422);
      expect((err as IngestError).message).toMatch(
        /^upload\.pcap: 100\.0 % of the 100[01] packet records read are empty \(capLen 0: 100\.0 %\).*UPLOAD_MAX_EMPTY_RECORD_SHARE=0\.5/,
      );
      expect(readdirSync(opts().dir)).toEqual([]);
      // The same capture is taken when the check is off (the CLI's local files).
      const r = await ingestCapture(streamOf(Buffer.concat([pcapHeader(), empty])), opts({ dir: join(dir, 'off') }));
      expect(r.chunks.reduce((n, c) => n + c.packets, 0)).toBe(5000);
    });

    it('charges the capture bytes in batches as they arrive, and stops when the charge refuses', async () => {
      const bytes = readFileSync(SCAN);
      const charged: number[] = [];
      await ingestCapture(
        streamOf(Buffer.concat([bytes, bytes.subarray(24)]), 65536),
        opts({ charge: async (n) => void charged.push(n) }),
      );
      expect(charged.reduce((a, b) => a + b, 0)).toBe(2 * bytes.length - 24);
      const refusal = new IngestError(429, 'spent');
      let calls = 0;
      const big = Buffer.concat([bytes, ...Array.from({ length: 20 }, () => bytes.subarray(24))]); // ~3 MB
      const err = await ingestCapture(
        streamOf(big, 65536),
        opts({
          dir: join(dir, 'spent'),
          charge: async () => {
            calls++;
            throw refusal;
          },
        }),
      ).catch((e: unknown) => e);
      expect(err).toBe(refusal);
      expect(calls).toBe(1); // the first MiB: nothing after it was taken
    });

    it('keeps the packets of a gzip damaged before the first chunk was cut, with the damage listed', async () => {
      const bytes = readFileSync(SCAN);
      const gz = gzipSync(bytes);
      const r = await ingestCapture(
        streamOf(Buffer.concat([gz, gz.subarray(0, 100)])),
        opts({ chunkMaxBytes: 64 * 1024 * 1024, chunkMaxPackets: 1_000_000 }),
      );
      expect(r.chunks.reduce((n, c) => n + c.packets, 0)).toBe(countPackets(bytes));
      // The few bytes the second member gave (a pcap header's start) are a cut-off record.
      expect(r.errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/input ends inside a packet record/),
        expect.stringMatching(/gzip data is damaged after \d+ bytes: gzip member 2: unexpected end of file/),
      ]);
    });
  });
});
