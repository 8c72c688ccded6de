import type { PacketRecord } from './packet-record';

/**
 * What one framed unit of a capture file is. The chunker needs this to rebuild standalone
 * files: headers (pcap global header, pcapng SHB) and interface descriptions must precede the
 * packets of every chunk; other blocks just travel along.
 */
export const enum UnitKind {
  /** Classic pcap global header or pcapng Section Header Block (starts a new section). */
  Section = 0,
  /** pcapng Interface Description Block. */
  Interface = 1,
  /** A packet record (pcap record, EPB, SPB, PB); onPacket was called for it. */
  Packet = 2,
  /** Any other pcapng block (NRB, ISB, DSB, custom, unknown): skipped. */
  Other = 3,
}

/** Byte range of one framed unit, reported when the caller asked for it (chunker). */
export type UnitListener = (kind: UnitKind, buf: Buffer, start: number, end: number) => void;

/**
 * Framing of one capture format over contiguous bytes. `run` parses as many whole units as
 * buf[start, end) holds, hands packets to the reused record, and returns where it stopped; then
 * `need` is the total size of the unit starting there (or a lower bound while its header is
 * incomplete), never more than that unit's real size — the parser relies on this to buffer
 * exactly one unit across input pieces. Throws CaptureError on a fatal problem, after every
 * packet before it was delivered.
 */
export interface RecordReader {
  need: number;
  /** Records delivered so far (frame numbers continue from here). */
  packets: number;
  /** Distinct link types in order first seen. */
  readonly linkTypes: number[];
  run(buf: Buffer, start: number, end: number, fileBase: number): number;
}

export interface ReaderContext {
  source: string;
  maxCapLen: number;
  rec: PacketRecord;
  onPacket: (rec: PacketRecord) => void;
  onUnit: UnitListener | undefined;
}
