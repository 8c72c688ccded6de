import { createHash } from 'node:crypto';
import { closeSync, openSync, writevSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CaptureError } from '../engine/capture/capture-error';
import { CaptureChunker, type CaptureChunkParts } from '../engine/capture/chunker';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../storage/private-modes';

/**
 * Receives one capture as a stream (an upload, a file for `analyze --db`) and leaves it on disk
 * as the chunk files workers analyse, in one pass and constant memory: gzip is undone on the
 * fly, the SHA-256 and the size cap apply to the capture bytes, and a stream that is not a
 * capture is refused at its first bytes, without reading the rest. Nothing here knows HTTP or
 * the database: the API and the CLI both call it.
 */
export interface IngestOptions {
  /** Directory the chunk files go to (created). The caller removes it when the ingest fails. */
  dir: string;
  /** Name used in messages (the upload's sanitised file name). */
  source: string;
  /** Capture bytes allowed after decompression. */
  maxBytes: number;
  chunkMaxBytes: number;
  chunkMaxPackets: number;
  /** Called after each chunk file is written (progress, or enqueueing early). */
  onChunk?: (chunk: IngestedChunk) => void;
}

export interface IngestedChunk {
  seq: number;
  /** File name inside `dir`. */
  file: string;
  firstFrame: number;
  packets: number;
  fileBytes: number;
}

export interface IngestResult {
  sha256: string;
  /** Capture bytes (after gzip decoding). */
  sizeBytes: number;
  /** Bytes received (before gzip decoding). */
  receivedBytes: number;
  gzip: boolean;
  format: 'pcap' | 'pcapng';
  chunks: IngestedChunk[];
  /** Damage found in the capture: the packets before it are in the chunks (as `analyze` does). */
  errors: Array<{ offset: number; message: string }>;
}

/** Input refused as a whole: `status` is the HTTP status the API answers with. */
export class IngestError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

const PCAPNG_MAGIC = 0x0a0d0d0a;

export function chunkFileName(seq: number, format: 'pcap' | 'pcapng'): string {
  return `${String(seq).padStart(6, '0')}.${format}`;
}

export async function ingestCapture(input: Readable, opts: IngestOptions): Promise<IngestResult> {
  await mkdir(opts.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const hash = createHash('sha256');
  const chunks: IngestedChunk[] = [];
  const errors: IngestResult['errors'] = [];
  let format: 'pcap' | 'pcapng' | null = null;
  let size = 0;
  let received = 0;
  let parseStopped = false;
  let magic = Buffer.alloc(0);

  const chunker = new CaptureChunker({
    source: opts.source,
    maxBytes: opts.chunkMaxBytes,
    maxPackets: opts.chunkMaxPackets,
    // The chunk's pieces are valid only during the call (no copy: see onChunkParts), so the file
    // is written right here, synchronously — a page-cache write of at most one chunk.
    onChunkParts: (c) => writeChunk(c),
  });

  const writeChunk = (c: CaptureChunkParts) => {
    const file = chunkFileName(c.seq, format ?? 'pcap');
    const fd = openSync(join(opts.dir, file), 'w', PRIVATE_FILE_MODE);
    try {
      const written = writevSync(fd, c.parts);
      if (written !== c.byteLength)
        throw new Error(`${file}: short write (${written} of ${c.byteLength} bytes; disk full?)`);
    } finally {
      closeSync(fd);
    }
    const done: IngestedChunk = {
      seq: c.seq,
      file,
      firstFrame: c.firstFrame,
      packets: c.packets,
      fileBytes: c.byteLength,
    };
    chunks.push(done);
    opts.onChunk?.(done);
  };

  /** Damage before any packet refuses the capture; after packets it is recorded, as `analyze` does. */
  const onCaptureError = (err: CaptureError) => {
    parseStopped = true;
    if (chunks.length === 0) {
      if (err.code === 'empty') throw new IngestError(400, `${opts.source}: the upload is empty (0 bytes)`);
      if (err.code === 'not-a-capture') throw new IngestError(415, `${err.message}; upload a pcap or pcapng file`);
      throw new IngestError(422, `${err.message}: no packet could be read`);
    }
    errors.push({ offset: err.offset, message: err.message });
  };

  /** Runs a chunker step; a CaptureError becomes a recorded error or the refusal, anything else stays an error. */
  const feed = (step: () => void): Error | null => {
    try {
      step();
      return null;
    } catch (err) {
      if (!(err instanceof CaptureError)) return err as Error;
      try {
        onCaptureError(err);
        return null;
      } catch (refused) {
        return refused as Error;
      }
    }
  };

  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(piece: Buffer, _enc, done) {
      size += piece.length;
      if (size > opts.maxBytes) {
        done(
          new IngestError(
            413,
            `${opts.source}: capture larger than the ${opts.maxBytes}-byte limit (UPLOAD_MAX_BYTES)`,
          ),
        );
        return;
      }
      hash.update(piece);
      if (format === null) {
        // The parser checks the magic; we only name the format for the chunk files.
        magic = Buffer.concat([magic, piece.subarray(0, 4 - magic.length)]);
        if (magic.length === 4) format = magic.readUInt32BE(0) === PCAPNG_MAGIC ? 'pcapng' : 'pcap';
      }
      if (parseStopped) {
        done();
        return;
      }
      const failed = feed(() => chunker.write(piece));
      if (failed) {
        done(failed);
        return;
      }
      done();
    },
    final(done) {
      const failed = parseStopped ? null : feed(() => chunker.end());
      if (failed) {
        done(failed);
        return;
      }
      done();
    },
  });

  // Sniff gzip from the first two bytes rather than trusting Content-Encoding or the file name.
  const counted = async function* (source: AsyncIterable<Buffer | string>) {
    for await (const raw of source) {
      const buf = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
      received += buf.length;
      yield buf;
    }
  };
  const first = await readHead(input);
  const gzip = first.head.length >= 2 && first.head[0] === 0x1f && first.head[1] === 0x8b;
  try {
    if (gzip) {
      await pipeline(first.stream, counted, createGunzip({ chunkSize: 256 * 1024 }), sink);
    } else {
      await pipeline(first.stream, counted, sink);
    }
  } catch (err) {
    if (err instanceof IngestError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
      // A damaged gzip stream: keep what decoded cleanly when packets came out of it.
      if (chunks.length === 0) {
        throw new IngestError(
          422,
          `${opts.source}: gzip data is damaged (${(err as Error).message}) before any packet`,
        );
      }
      errors.push({
        offset: size,
        message: `${opts.source}: gzip data is damaged after ${size} bytes: ${(err as Error).message}`,
      });
    } else {
      throw err;
    }
  }
  if (size === 0) throw new IngestError(400, `${opts.source}: the upload is empty (0 bytes)`);
  return {
    sha256: hash.digest('hex'),
    sizeBytes: size,
    receivedBytes: received,
    gzip,
    format: format ?? 'pcap',
    chunks,
    errors,
  };
}

/** Reads until at least 2 bytes are known, then hands back a stream that replays them. */
async function readHead(input: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const parts: Buffer[] = [];
  let len = 0;
  const it = input[Symbol.asyncIterator]();
  let ended = false;
  while (len < 2) {
    const r = (await it.next()) as IteratorResult<Buffer | string>;
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
    parts.push(b);
    len += b.length;
  }
  const head = Buffer.concat(parts);
  const replay = Readable.from(
    (async function* () {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = (await it.next()) as IteratorResult<Buffer | string>;
        if (r.done) return;
        yield typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
      }
    })(),
    { objectMode: false },
  );
  return { head, stream: replay };
}
