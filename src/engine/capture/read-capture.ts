import { createReadStream } from 'node:fs';
import { CaptureError } from './capture-error';
import { CaptureParser, type CaptureFormat } from './capture-parser';
import type { PacketRecord } from './packet-record';

export interface ReadCaptureOptions {
  /** Name used in errors; defaults to the path, "stdin" for '-', "stream" for a Readable. */
  source?: string;
  onPacket: (rec: PacketRecord) => void;
  /** Read size for files (default 1 MiB): large reads keep most records zero-copy. */
  highWaterMark?: number;
  maxCapLen?: number;
  /** Called after each piece with the total bytes read so far. */
  onProgress?: (bytesRead: number) => void;
}

export interface ReadCaptureResult {
  format: CaptureFormat;
  linkTypes: number[];
  packets: number;
  bytes: number;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Streams a capture file ('-' = stdin) or any Readable through a CaptureParser, in constant
 * memory. Rejects with the CaptureError for bad input; file-system errors keep their code
 * (ENOENT, EISDIR, EACCES) but their message is made to name the file.
 */
export async function readCapture(
  input: string | NodeJS.ReadableStream,
  opts: ReadCaptureOptions,
): Promise<ReadCaptureResult> {
  const source = opts.source ?? (typeof input === 'string' ? (input === '-' ? 'stdin' : input) : 'stream');
  const parser = new CaptureParser({ source, onPacket: opts.onPacket, maxCapLen: opts.maxCapLen });
  const stream: NodeJS.ReadableStream =
    typeof input !== 'string'
      ? input
      : input === '-'
        ? process.stdin
        : createReadStream(input, { highWaterMark: opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK });
  let bytes = 0;
  try {
    // for-await destroys the stream when the loop exits by a throw, so nothing is left open.
    for await (const piece of stream) {
      const buf = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece;
      parser.write(buf);
      bytes += buf.length;
      if (opts.onProgress !== undefined) opts.onProgress(bytes);
    }
    parser.end();
  } catch (e) {
    throw nameTheFile(e, source);
  }
  return { format: parser.format as CaptureFormat, linkTypes: parser.linkTypes, packets: parser.packets, bytes };
}

function nameTheFile(e: unknown, source: string): unknown {
  // Duck-typed: errors from node internals may come from another realm (jest's vm context).
  if (e instanceof CaptureError || typeof e !== 'object' || e === null) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code === 'string' && typeof err.message === 'string' && !err.message.includes(source)) {
    err.message = `${source}: ${err.message}`;
  }
  return e;
}
