import { layoutOf, PCAPNG, PCAPNG_BOM, type CaptureLayout, type Unit } from './capture-units';
import type { Prng } from './prng';

/**
 * Byte-level mutations of a real capture, aimed where readers and decoders make decisions:
 * random bits and bytes, the four interesting byte values, 16/32-bit boundary values in unit
 * headers, hostile record and block lengths, truncation, units spliced in from another capture,
 * duplicated, reordered or dropped, pcapng options corrupted (lengths, if_tsresol, if_tsoffset,
 * unknown codes) and section byte orders flipped. Every mutation works on a copy.
 */
export type Mutation =
  | 'bit-flips'
  | 'interesting-bytes'
  | 'boundary-words'
  | 'packet-bytes'
  | 'truncate'
  | 'hostile-length'
  | 'splice'
  | 'duplicate'
  | 'reorder'
  | 'drop'
  | 'option-corrupt'
  | 'byte-order-flip';

/** Weighted: packet contents most (they reach every decoder and parser), framing often. */
const MUTATIONS: ReadonlyArray<[Mutation, number]> = [
  ['bit-flips', 3],
  ['interesting-bytes', 3],
  ['boundary-words', 2],
  ['packet-bytes', 6],
  ['truncate', 1],
  ['hostile-length', 2],
  ['splice', 2],
  ['duplicate', 1],
  ['reorder', 2],
  ['drop', 1],
  ['option-corrupt', 2],
  ['byte-order-flip', 1],
];
const TOTAL_WEIGHT = MUTATIONS.reduce((n, [, w]) => n + w, 0);

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80];
const BOUNDARY_WORDS = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

export interface MutatedCapture {
  bytes: Buffer;
  applied: Mutation[];
}

/** 1–4 stacked mutations of `seed`; `donor` supplies units for splicing. */
export function mutateCapture(seed: Buffer, donor: Buffer, r: Prng): MutatedCapture {
  let bytes: Buffer = Buffer.from(seed);
  const applied: Mutation[] = [];
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    const m = pickMutation(r);
    bytes = applyMutation(m, bytes, donor, r);
    applied.push(m);
  }
  return { bytes, applied };
}

function pickMutation(r: Prng): Mutation {
  let x = r.int(TOTAL_WEIGHT);
  for (const [m, w] of MUTATIONS) {
    if (x < w) return m;
    x -= w;
  }
  return 'bit-flips';
}

export function applyMutation(m: Mutation, b: Buffer, donor: Buffer, r: Prng): Buffer {
  if (b.length === 0) return b;
  const layout = layoutOf(b);
  switch (m) {
    case 'bit-flips': {
      for (let n = 1 + r.int(8); n > 0; n--) b[r.int(b.length)] ^= 1 << r.int(8);
      return b;
    }
    case 'interesting-bytes': {
      for (let n = 1 + r.int(4); n > 0; n--) b[aimedOffset(b, layout, r)] = r.pick(INTERESTING_BYTES);
      return b;
    }
    case 'boundary-words': {
      const at = aimedOffset(b, layout, r);
      const v = r.pick(BOUNDARY_WORDS);
      writeWord(b, at, r.chance(0.5) ? 2 : 4, v, r.chance(0.5));
      return b;
    }
    case 'packet-bytes':
      return mutatePacketData(b, layout, r);
    case 'truncate': {
      const u = layout !== null && layout.units.length > 1 && r.chance(0.5) ? r.pick(layout.units) : null;
      // Just inside a unit (its header, its data) or anywhere.
      const at = u !== null ? u.start + r.int(Math.min(32, u.end - u.start)) : r.int(b.length);
      return b.subarray(0, at);
    }
    case 'hostile-length':
      return hostileLength(b, layout, r);
    case 'splice':
      return splice(b, layout, donor, r);
    case 'duplicate':
    case 'reorder':
    case 'drop':
      return rearrange(m, b, layout, r);
    case 'option-corrupt':
      return corruptOption(b, layout, r);
    case 'byte-order-flip':
      return flipByteOrder(b, layout, r);
  }
}

/** An offset near the start of some unit (headers hold the decisions) half the time, else anywhere. */
function aimedOffset(b: Buffer, layout: CaptureLayout | null, r: Prng): number {
  if (layout === null || layout.units.length === 0 || r.chance(0.5)) return r.int(b.length);
  const u = r.pick(layout.units);
  return Math.min(b.length - 1, u.start + r.int(Math.min(48, u.end - u.start)));
}

function writeWord(b: Buffer, at: number, size: 2 | 4, v: number, le: boolean): void {
  if (at + size > b.length) return;
  if (size === 2) {
    if (le) b.writeUInt16LE(v & 0xffff, at);
    else b.writeUInt16BE(v & 0xffff, at);
  } else if (le) b.writeUInt32LE(v >>> 0, at);
  else b.writeUInt32BE(v >>> 0, at);
}

const packetUnits = (layout: CaptureLayout | null): Unit[] =>
  layout === null
    ? []
    : layout.units.filter((u) =>
        layout.kind === 'pcap' ? u.type === 0 : u.type === PCAPNG.EPB || u.type === PCAPNG.SPB || u.type === PCAPNG.PB,
      );

/** First byte of a packet unit's frame data. */
function dataStart(layout: CaptureLayout, u: Unit): number {
  if (layout.kind === 'pcap') return u.start + layout.recordHeader;
  return u.start + (u.type === PCAPNG.SPB ? 12 : 28);
}

/** Many changes inside one packet's frame bytes, framing intact: reaches decoders and parsers. */
function mutatePacketData(b: Buffer, layout: CaptureLayout | null, r: Prng): Buffer {
  const units = packetUnits(layout).filter((u) => u.end - dataStart(layout!, u) > 4);
  if (units.length === 0) return applyMutation('bit-flips', b, b, r);
  for (let k = 1 + r.int(3); k > 0; k--) {
    const u = r.pick(units);
    const from = dataStart(layout!, u);
    const span = u.end - from;
    for (let n = 1 + r.int(6); n > 0; n--) {
      // Low offsets are where link, IP and transport headers sit.
      const at = from + (r.chance(0.6) ? r.int(Math.min(span, 64)) : r.int(span));
      b[at] = r.chance(0.5) ? r.pick(INTERESTING_BYTES) : r.int(256);
    }
  }
  return b;
}

function hostileLength(b: Buffer, layout: CaptureLayout | null, r: Prng): Buffer {
  if (layout === null || layout.units.length < 2) return applyMutation('boundary-words', b, b, r);
  const u = layout.units[1 + r.int(layout.units.length - 1)];
  const len = u.end - u.start;
  const values = [
    0,
    1,
    4,
    8,
    11,
    12,
    13,
    len - 4,
    len - 1,
    len + 1,
    len + 4,
    65535,
    262144,
    262145,
    0x7fffffff,
    0xffffffff,
  ];
  const v = r.pick(values);
  let field: number;
  if (layout.kind === 'pcap') field = u.start + (r.chance(0.7) ? 8 : 12);
  else {
    const fields = [u.start + 4, u.end - 4];
    if (u.type === PCAPNG.EPB) fields.push(u.start + 20, u.start + 24);
    if (u.type === PCAPNG.SPB) fields.push(u.start + 8);
    if (u.type === PCAPNG.IDB) fields.push(u.start + 12);
    field = r.pick(fields);
  }
  writeWord(b, field, 4, v, u.le);
  return b;
}

function splice(b: Buffer, layout: CaptureLayout | null, donor: Buffer, r: Prng): Buffer {
  const dl = layoutOf(donor);
  if (layout === null || dl === null || dl.units.length === 0) return applyMutation('bit-flips', b, donor, r);
  const pieces: Buffer[] = [];
  for (let n = 1 + r.int(4); n > 0; n--) {
    const u = r.pick(dl.units);
    pieces.push(donor.subarray(u.start, u.end));
  }
  const at = layout.units.length > 0 ? r.pick(layout.units).end : b.length;
  return Buffer.concat([b.subarray(0, at), ...pieces, b.subarray(at)]);
}

function rearrange(m: Mutation, b: Buffer, layout: CaptureLayout | null, r: Prng): Buffer {
  if (layout === null || layout.units.length < 2) return applyMutation('bit-flips', b, b, r);
  const units = layout.units;
  const tail = b.subarray(units[units.length - 1].end);
  const parts = units.map((u) => b.subarray(u.start, u.end));
  const i = r.int(parts.length);
  if (m === 'duplicate') {
    const copies = r.chance(0.2) ? 2 + r.int(30) : 1;
    for (let c = 0; c < copies; c++) parts.splice(i, 0, parts[i]);
  } else if (m === 'drop') parts.splice(i, 1);
  else {
    const j = r.int(parts.length);
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  return Buffer.concat([...parts, tail]);
}

/** Offset of the first option of a pcapng block, or -1 when the block type has none we know. */
function optionsStart(b: Buffer, u: Unit): number {
  const rd = (at: number) => (u.le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  switch (u.type) {
    case PCAPNG.SHB:
      return u.start + 24;
    case PCAPNG.IDB:
      return u.start + 16;
    case PCAPNG.EPB:
      return u.start + 28 + ((rd(u.start + 20) + 3) & ~3);
    case PCAPNG.ISB:
      return u.start + 20;
    default:
      return -1;
  }
}

function corruptOption(b: Buffer, layout: CaptureLayout | null, r: Prng): Buffer {
  if (layout === null || layout.kind !== 'pcapng') return hostileLength(b, layout, r);
  const blocks = layout.units.filter((u) => {
    const s = optionsStart(b, u);
    return s >= 0 && s <= u.end - 4;
  });
  if (blocks.length === 0) return applyMutation('interesting-bytes', b, b, r);
  const u = r.pick(blocks);
  const optAt = optionsStart(b, u);
  const choice = r.int(4);
  if (choice === 0 && optAt + 4 <= u.end - 4) {
    // The first option's length: past the block, odd, huge.
    writeWord(b, optAt + 2, 2, r.pick([1, 3, 0xfff0, 0xffff, u.end - optAt, u.end - optAt + 4]), u.le);
    return b;
  }
  // Insert an option at the front of the list (block lengths kept consistent).
  const w16 = (v: number) => {
    const x = Buffer.alloc(2);
    if (u.le) x.writeUInt16LE(v);
    else x.writeUInt16BE(v);
    return x;
  };
  let code: number;
  let value: Buffer;
  if (choice === 1) {
    code = 9; // if_tsresol: powers of 10 and of 2 beyond any clock
    value = Buffer.from([r.pick([0, 9, 19, 63, 64, 0x7f, 0x80, 0x94, 0xbf, 0xff])]);
  } else if (choice === 2) {
    code = 14; // if_tsoffset: the int64 extremes and a century
    value = Buffer.alloc(8);
    const v = r.pick([0x7fffffffffffffffn, -0x8000000000000000n, -1n, 3_155_760_000n, -3_155_760_000n]);
    if (u.le) value.writeBigInt64LE(v);
    else value.writeBigInt64BE(v);
  } else {
    code = r.pick([0x7fff, 0x8000, 0xfffe, 2988, 3, 255]);
    value = Buffer.alloc(r.int(40), r.int(256));
  }
  const padded = Buffer.concat([value, Buffer.alloc((4 - (value.length & 3)) & 3)]);
  const opt = Buffer.concat([w16(code), w16(value.length), padded]);
  const block = Buffer.concat([b.subarray(u.start, optAt), opt, b.subarray(optAt, u.end)]);
  writeWord(block, 4, 4, block.length, u.le);
  writeWord(block, block.length - 4, 4, block.length, u.le);
  return Buffer.concat([b.subarray(0, u.start), block, b.subarray(u.end)]);
}

/** Rewrites one section's byte-order magic swapped: the reader then reads every field reversed. */
function flipByteOrder(b: Buffer, layout: CaptureLayout | null, r: Prng): Buffer {
  if (layout === null) return b;
  if (layout.kind === 'pcap') {
    b.writeUInt32LE(b.readUInt32BE(0), 0);
    return b;
  }
  const shbs = layout.units.filter((u) => u.type === PCAPNG.SHB);
  if (shbs.length === 0) return b;
  const u = r.pick(shbs);
  writeWord(b, u.start + 8, 4, PCAPNG_BOM, !u.le);
  return b;
}
