/**
 * MAC addresses as plain numbers (48 bits fit a double exactly): a Map key that costs no
 * allocation on the per-packet path; the text form is built only when a finding needs it.
 */

export function macAt(buf: Buffer, off: number): number {
  return (
    ((buf[off] << 8) | buf[off + 1]) * 0x100000000 +
    (((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0)
  );
}

export function macText(n: number): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const b = Math.floor(n / 2 ** (8 * i)) % 256;
    s += (i < 5 ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Parses "aa:bb:cc:dd:ee:ff" (or '-' separated, any case); NaN when it is not a MAC. */
export function parseMac(s: string): number {
  const parts = s.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((x) => !/^[0-9a-fA-F]{2}$/.test(x))) return NaN;
  return parts.reduce((n, x) => n * 256 + parseInt(x, 16), 0);
}

export const MAC_BROADCAST = 0xffffffffffff;

/** All-zero, broadcast or group (multicast) addresses cannot be a station's own MAC. */
export function isStationMac(n: number): boolean {
  return n !== 0 && n !== MAC_BROADCAST && Math.floor(n / 0x10000000000) % 2 === 0;
}

/** True when the MAC's text form starts with one of the prefixes (lowercase colon form). */
export function macHasPrefix(n: number, prefixes: readonly string[]): boolean {
  if (prefixes.length === 0) return false;
  const t = macText(n);
  return prefixes.some((p) => t.startsWith(p.toLowerCase()));
}
