/**
 * Where the framed units of a capture sit (pcap: file header, records; pcapng: blocks), read
 * independently of the engine's readers so a mutator can aim at length fields and splice whole
 * units even where the reader would refuse the file. Stops at the first unit that does not fit.
 */
export type CaptureKind = 'pcap' | 'pcapng';

export interface Unit {
  start: number;
  end: number;
  /** pcapng block type; -1 for the pcap file header, 0 for a pcap record. */
  type: number;
  /** Byte order of the section the unit belongs to. */
  le: boolean;
}

export interface CaptureLayout {
  kind: CaptureKind;
  /** Record header size for pcap (16, 24 for the modified format); 0 for pcapng. */
  recordHeader: number;
  units: Unit[];
}

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;
export const PCAPNG = { SHB: PCAPNG_SHB, IDB: 1, PB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6 } as const;

export function layoutOf(b: Buffer): CaptureLayout | null {
  if (b.length < 24) return null;
  const m = b.readUInt32LE(0);
  if (m === PCAPNG_SHB) return pcapngLayout(b);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
  const be = b.readUInt32BE(0);
  if (!le && !(be === 0xa1b2c3d4 || be === 0xa1b23c4d || be === 0xa1b2cd34)) return null;
  const modified = (le ? m : be) === 0xa1b2cd34;
  const recordHeader = modified ? 24 : 16;
  const units: Unit[] = [{ start: 0, end: 24, type: -1, le }];
  let pos = 24;
  while (pos + recordHeader <= b.length) {
    const cap = le ? b.readUInt32LE(pos + 8) : b.readUInt32BE(pos + 8);
    const end = pos + recordHeader + cap;
    if (end > b.length) break;
    units.push({ start: pos, end, type: 0, le });
    pos = end;
  }
  return { kind: 'pcap', recordHeader, units };
}

function pcapngLayout(b: Buffer): CaptureLayout {
  const units: Unit[] = [];
  let pos = 0;
  let le = true;
  while (pos + 12 <= b.length) {
    const typeLE = b.readUInt32LE(pos);
    if (typeLE === PCAPNG_SHB) {
      if (pos + 12 > b.length) break;
      le = b.readUInt32LE(pos + 8) === PCAPNG_BOM;
    }
    const type = le ? typeLE : b.readUInt32BE(pos);
    const len = le ? b.readUInt32LE(pos + 4) : b.readUInt32BE(pos + 4);
    if (len < 12 || len % 4 !== 0 || pos + len > b.length) break;
    units.push({ start: pos, end: pos + len, type, le });
    pos += len;
  }
  return { kind: 'pcapng', recordHeader: 0, units };
}
