import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/**
 * gzip decoding as `gzip -d` does it, streamed: members one after another decode as their
 * concatenation (`cat a.gz b.gz`), and bytes after the last complete member that do not start
 * another member are ignored and reported (gzip -d: "trailing garbage ignored"). Node's Gunzip
 * refuses such trailing bytes — and drops the output of the piece they arrived in — hence this
 * decoder: it parses each member's header and trailer itself and inflates the deflate data with
 * InflateRaw, whose bytesWritten says exactly where the deflate data ended.
 *
 * Damage (a bad header, a cut-off member, a CRC or length mismatch) throws an Error with a zlib-like
 * `code` (Z_DATA_ERROR / Z_BUF_ERROR), as Node's Gunzip would, after everything decoded before it.
 */
export interface GunzipNotes {
  /** Told how many bytes followed the last complete member (ignored). */
  onTrailingBytes(bytes: number): void;
}

/** gzip's longest file name / comment field we read before calling the header damaged. */
const MAX_HEADER_FIELD = 64 * 1024;
const FLAG = { HCRC: 0x02, EXTRA: 0x04, NAME: 0x08, COMMENT: 0x10, RESERVED: 0xe0 };

function damaged(message: string, code = 'Z_DATA_ERROR'): Error {
  return Object.assign(new Error(message), { code });
}

/** Pieces of the input with the ability to hand unread bytes back. */
class PieceReader {
  private readonly back: Buffer[] = [];
  private readonly it: AsyncIterator<Buffer | string>;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | null> {
    const held = this.back.pop();
    if (held) return held;
    const r = await this.it.next();
    if (r.done) return null;
    return typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
  }

  unshift(b: Buffer): void {
    if (b.length > 0) this.back.push(b);
  }

  /** Exactly n bytes, or what there was before the input ended (shorter). */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let len = 0;
    while (len < n) {
      const b = await this.next();
      if (b === null) break;
      const take = Math.min(b.length, n - len);
      parts.push(b.subarray(0, take));
      this.unshift(b.subarray(take));
      len += take;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, len);
  }

  /** Bytes up to and including a NUL (gzip's name and comment fields). */
  async skipZeroTerminated(): Promise<boolean> {
    for (let seen = 0; seen < MAX_HEADER_FIELD;) {
      const b = await this.next();
      if (b === null) return false;
      const nul = b.indexOf(0);
      if (nul >= 0) {
        this.unshift(b.subarray(nul + 1));
        return true;
      }
      seen += b.length;
    }
    return false;
  }

  async drain(): Promise<number> {
    let n = 0;
    for (let b = await this.next(); b !== null; b = await this.next()) n += b.length;
    return n;
  }
}

/** The rest of a member's header, after its magic number. */
async function readHeader(reader: PieceReader, member: number): Promise<void> {
  // After the magic number: method, flags, mtime (4), extra flags, OS.
  const fixed = await reader.read(8);
  if (fixed.length < 8) throw damaged(`gzip member ${member}: header cut off`, 'Z_BUF_ERROR');
  if (fixed[0] !== 8) throw damaged(`gzip member ${member}: unknown compression method ${fixed[0]}`);
  const flags = fixed[1];
  if (flags & FLAG.RESERVED) throw damaged(`gzip member ${member}: reserved header flags set`);
  if (flags & FLAG.EXTRA) {
    const len = await reader.read(2);
    if (len.length < 2 || (await reader.read(len.readUInt16LE(0))).length < len.readUInt16LE(0)) {
      throw damaged(`gzip member ${member}: header cut off`, 'Z_BUF_ERROR');
    }
  }
  for (const field of [FLAG.NAME, FLAG.COMMENT]) {
    if (flags & field && !(await reader.skipZeroTerminated())) {
      throw damaged(`gzip member ${member}: header name or comment unterminated`);
    }
  }
  if (flags & FLAG.HCRC && (await reader.read(2)).length < 2) {
    throw damaged(`gzip member ${member}: header cut off`, 'Z_BUF_ERROR');
  }
}

/** Writes one piece and waits until the inflater has processed it (or has failed). */
function written(inflater: InflateRaw, piece: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      inflater.off('close', done);
      resolve();
    };
    inflater.once('close', done);
    inflater.write(piece, done);
  });
}

/**
 * One member's deflate data, inflated; then its trailer checked. Input goes to InflateRaw a piece
 * at a time, the next only once the last is processed (so its output was taken: backpressure), and
 * no further once it stops consuming — the deflate data ended there; what it did not consume goes
 * back to the reader (the trailer, the next member).
 */
async function* inflateMember(reader: PieceReader, member: number): AsyncGenerator<Buffer> {
  const inflater = createInflateRaw({ chunkSize: 256 * 1024 });
  // Fed pieces not yet known to be consumed; `dropped` bytes before them were.
  const fed: Buffer[] = [];
  let dropped = 0;
  let fedBytes = 0;
  let ended = false;
  const feeding = (async () => {
    try {
      while (!ended) {
        const piece = await reader.next();
        if (piece === null) {
          inflater.end();
          return;
        }
        fed.push(piece);
        fedBytes += piece.length;
        if (ended) return;
        await written(inflater, piece);
        while (fed.length > 0 && dropped + fed[0].length <= inflater.bytesWritten) dropped += fed.shift()!.length;
        if (inflater.bytesWritten < fedBytes) {
          inflater.end(); // it stopped consuming: the deflate data is over
          return;
        }
      }
    } catch (err) {
      inflater.destroy(err as Error);
    }
  })();
  let crc = 0;
  let size = 0;
  try {
    for await (const out of inflater as AsyncIterable<Buffer>) {
      crc = crc32(out, crc);
      size += out.length;
      yield out;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw damaged(`gzip member ${member}: ${e.message}`, e.code ?? 'Z_DATA_ERROR');
  } finally {
    ended = true;
    inflater.destroy();
  }
  await feeding;
  const rest = Buffer.concat(fed).subarray(inflater.bytesWritten - dropped);
  reader.unshift(rest);
  const trailer = await reader.read(8);
  if (trailer.length < 8) throw damaged(`gzip member ${member}: trailer cut off`, 'Z_BUF_ERROR');
  if (trailer.readUInt32LE(0) !== crc >>> 0) throw damaged(`gzip member ${member}: CRC-32 mismatch`);
  if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw damaged(`gzip member ${member}: length mismatch`);
}

/** A pipeline stage: gzip bytes in, the decoded bytes out (the caller has seen the first member's magic). */
export function gunzipMembers(notes: GunzipNotes) {
  return async function* gunzip(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    const reader = new PieceReader(source);
    for (let member = 1; ; member++) {
      const magic = await reader.read(2);
      if (magic.length === 0) return;
      if (magic.length < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
        if (member === 1) throw damaged('not gzip data (no gzip magic number)');
        notes.onTrailingBytes(magic.length + (await reader.drain()));
        return;
      }
      await readHeader(reader, member);
      yield* inflateMember(reader, member);
    }
  };
}
