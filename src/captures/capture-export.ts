import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { CaptureChunkEntity } from './capture-chunk.entity';

const PCAP_HEADER = 24;

export interface CaptureExport {
  stream: Readable;
  /** Chunks whose files are gone (live retention): their packets are not in the export. */
  missing: number;
  exported: number;
}

/**
 * A capture's stored chunks as one capture file, streamed (constant memory for any size): classic
 * pcap chunks share one header, so it is written once and each later chunk's 24 bytes skipped;
 * pcapng chunks are whole sections, and a pcapng file may hold several one after the other.
 * For live sessions this is the forensic export of what retention kept (LIVE_RETAIN_*).
 */
export async function exportCapture(
  dir: string,
  format: 'pcap' | 'pcapng',
  chunks: Array<Pick<CaptureChunkEntity, 'seq' | 'file' | 'packets' | 'prunedAt'>>,
): Promise<CaptureExport> {
  const present: typeof chunks = [];
  for (const c of [...chunks].sort((a, b) => a.seq - b.seq)) {
    if (c.prunedAt !== null) continue;
    try {
      await access(join(dir, c.file));
      present.push(c);
    } catch {
      // deleted meanwhile: counted as missing
    }
  }
  const out = new PassThrough();
  void (async () => {
    try {
      let first = true;
      for (const c of present) {
        const skip = format === 'pcap' && !first ? PCAP_HEADER : 0;
        if (format === 'pcap' && c.packets === 0 && !first) continue; // a closing chunk adds nothing
        first = false;
        for await (const piece of createReadStream(join(dir, c.file), { start: skip })) {
          if (!out.write(piece)) await new Promise((r) => out.once('drain', r));
        }
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error); // a file vanished mid-stream: the client sees a cut download
    }
  })();
  return { stream: out, missing: chunks.length - present.length, exported: present.length };
}
