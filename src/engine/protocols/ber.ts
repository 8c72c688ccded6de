/**
 * A small BER reader for SNMP and LDAP (X.690 §8.1): one tag byte (low tag numbers only — SNMP
 * and LDAP use nothing else), definite lengths of at most 4 length bytes, and every length
 * checked against the bytes actually there. It never throws: a TLV that does not fit its
 * enclosing bytes is `null`, and callers treat that as "not this protocol" or "truncated".
 */

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number), e.g. 0x30 SEQUENCE, 0x60 [APPLICATION 0]. */
  tag: number;
  /** Offset of the first content byte in the buffer. */
  start: number;
  /** Offset just after the last content byte. */
  end: number;
}

export const BER = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
} as const;

/** Result of `headerLength` when the header itself is not complete yet. */
export const NEED_MORE = -1;
/** Result of `headerLength` when the bytes cannot be a definite-length BER header. */
export const INVALID = -2;

/**
 * Total size (header + content) of the TLV starting at `off`, from its header alone: NEED_MORE
 * when the header is cut short, INVALID for a multi-byte tag, an indefinite length or a length
 * of more than 4 bytes. Used to frame messages on a TCP stream.
 */
export function tlvSize(b: Buffer, off: number, end = b.length): number {
  if (off >= end) return NEED_MORE;
  if ((b[off] & 0x1f) === 0x1f) return INVALID;
  if (off + 1 >= end) return NEED_MORE;
  const l0 = b[off + 1];
  if (l0 < 0x80) return 2 + l0;
  const n = l0 & 0x7f;
  if (n === 0 || n > 4) return INVALID;
  if (off + 2 + n > end) return NEED_MORE;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[off + 2 + i];
  return 2 + n + len;
}

/** The TLV at `off` when it fits entirely before `end`, else null. */
export function readTlv(b: Buffer, off: number, end: number): Tlv | null {
  const size = tlvSize(b, off, end);
  if (size < 0 || off + size > end) return null;
  const l0 = b[off + 1];
  const hdr = l0 < 0x80 ? 2 : 2 + (l0 & 0x7f);
  return { tag: b[off], start: off + hdr, end: off + size };
}

/** The TLV at `off` when it has tag `tag` and fits, else null. */
export function expectTlv(b: Buffer, off: number, end: number, tag: number): Tlv | null {
  const t = readTlv(b, off, end);
  return t !== null && t.tag === tag ? t : null;
}

/**
 * Two's-complement integer content, or null when empty or wider than 6 bytes (beyond what
 * a JS number holds exactly; SNMP/LDAP integers are 32-bit).
 */
export function intValue(b: Buffer, t: Tlv): number | null {
  const n = t.end - t.start;
  if (n < 1 || n > 6) return null;
  let u = 0;
  for (let i = t.start; i < t.end; i++) u = u * 256 + b[i];
  return b[t.start] & 0x80 ? u - 2 ** (8 * n) : u;
}

/** OCTET STRING content as UTF-8 text, cut to `max` bytes. */
export function stringValue(b: Buffer, t: Tlv, max = 1024): string {
  return b.toString('utf8', t.start, Math.min(t.end, t.start + max));
}

/** Dotted OID text from OBJECT IDENTIFIER content, or null when malformed. */
export function oidValue(b: Buffer, t: Tlv): string | null {
  if (t.end <= t.start || t.end - t.start > 64) return null;
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) return null;
    if ((b[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    } else if (i === t.end - 1) return null;
  }
  return parts.join('.');
}
