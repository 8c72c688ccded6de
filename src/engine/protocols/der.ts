/**
 * The little DER (X.690) reading the certificate code needs beyond node:crypto: bounds-checked
 * tag/length headers and OID text. Every function answers null/'' on bytes that do not fit.
 */

/** Tag/length header at `off`: [contentStart, contentEnd] or null when it does not fit. */
export function derHeader(b: Buffer, off: number, end: number): [number, number] | null {
  if (off + 2 > end) return null;
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  return p + len <= end ? [p, p + len] : null;
}

export function oidText(b: Buffer, s: number, e: number): string {
  if (s >= e) return '';
  const parts: number[] = [Math.floor(b[s] / 40), b[s] % 40];
  let v = 0;
  for (let i = s + 1; i < e; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
