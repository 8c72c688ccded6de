import { join } from 'node:path';
import { readCapture } from '../engine/capture/read-capture';
import { encodePcapHeader, encodePcapRecord } from '../engine/capture/pcap.writer';

/**
 * A finding's evidence frames (global frame numbers) as one classic pcap, read back from the
 * capture's chunk files. Memory is bounded by the engine's evidence cap (maxEvidenceFrames per
 * finding, each at most the 256 KiB a reader accepts), and each chunk file is read only up to
 * its last wanted frame.
 *
 * Classic pcap holds one link type: evidence whose frames come from interfaces of different
 * link types (a pcapng with several) is refused (EvidenceError 'mixed-link-types' → 409) rather
 * than written with some packets mislabelled. Nanosecond timestamps are kept (nanosecond magic)
 * when any packet has them; otherwise the usual microsecond file.
 */
export interface EvidenceChunk {
  file: string;
  firstFrame: number;
  packets: number;
}

export interface EvidencePacket {
  frame: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  data: Buffer;
}

/** `kind`, not `code`: readCapture prefixes the file name to errors that carry a `code`. */
export class EvidenceError extends Error {
  constructor(
    readonly kind: 'mixed-link-types' | 'missing' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

/** Chunk files are named by the ingest (`000012.pcap`), never by a user: anything else is refused. */
const CHUNK_FILE = /^\d{1,12}\.(pcap|pcapng)$/;

class StopReading extends Error {}

/**
 * Bytes of packet data one export may hold in memory: 50 frames (the engine's default evidence
 * cap) of the largest packets take 12.5 MiB; a configuration that keeps far more frames per
 * finding gets a clear refusal instead of an unbounded buffer.
 */
export const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

export async function readEvidencePackets(
  captureDir: string,
  chunks: readonly EvidenceChunk[],
  frames: readonly number[],
  maxBytes = MAX_EVIDENCE_BYTES,
): Promise<EvidencePacket[]> {
  const wanted = [...new Set(frames)].filter((f) => Number.isInteger(f) && f > 0).sort((a, b) => a - b);
  const out: EvidencePacket[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    const last = chunk.firstFrame + chunk.packets - 1;
    const inChunk = new Set(wanted.filter((f) => f >= chunk.firstFrame && f <= last));
    if (inChunk.size === 0) continue;
    if (!CHUNK_FILE.test(chunk.file))
      throw new EvidenceError('missing', 'a chunk file name is not one the ingest makes');
    const lastWanted = Math.max(...inChunk);
    try {
      await readCapture(join(captureDir, chunk.file), {
        source: chunk.file,
        onPacket: (rec) => {
          const frame = chunk.firstFrame + rec.frame - 1;
          if (inChunk.has(frame)) {
            bytes += rec.capLen;
            if (bytes > maxBytes) throw new EvidenceError('too-large', `the evidence packets exceed ${maxBytes} bytes`);
            out.push({
              frame,
              linkType: rec.linkType,
              tsSec: rec.tsSec,
              tsNsec: rec.tsNsec,
              origLen: rec.origLen,
              data: Buffer.from(rec.buf.subarray(rec.offset, rec.offset + rec.capLen)),
            });
          }
          if (frame >= lastWanted) throw new StopReading();
        },
      });
    } catch (err) {
      if (err instanceof StopReading) continue;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new EvidenceError('missing', "the capture's chunk file is no longer on disk");
      throw err;
    }
  }
  const found = new Set(out.map((p) => p.frame));
  const lost = wanted.filter((f) => !found.has(f));
  if (lost.length > 0) throw new EvidenceError('missing', `evidence frame ${lost[0]} is in no stored chunk`);
  return out;
}

/** The pcap file as pieces (header, then one record each), for streaming out. */
export function evidencePcap(packets: readonly EvidencePacket[], fallbackLinkType = 1): Buffer[] {
  const linkTypes = [...new Set(packets.map((p) => p.linkType))];
  if (linkTypes.length > 1)
    throw new EvidenceError(
      'mixed-link-types',
      `the evidence frames have link types ${linkTypes.join(', ')}; a classic pcap holds one`,
    );
  const nanosecond = packets.some((p) => p.tsNsec % 1000 !== 0);
  return [
    encodePcapHeader({ linkType: linkTypes[0] ?? fallbackLinkType, nanosecond }),
    ...packets.map((p) =>
      encodePcapRecord({ tsSec: p.tsSec, tsNsec: p.tsNsec, origLen: p.origLen, data: p.data }, nanosecond),
    ),
  ];
}
