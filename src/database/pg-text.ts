/**
 * PostgreSQL text cannot hold U+0000, and packet-derived strings can: columns used for filtering
 * get U+FFFD in its place (the exact value stays in the finding's json document).
 */
export function pgText(s: string): string;
export function pgText(s: string | null | undefined): string | null;
export function pgText(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  return s.includes('\0') ? s.replace(/\0/g, '\uFFFD') : s;
}

/** A JavaScript string as bytes that sort bytewise in exactly JavaScript's order (UTF-16 code units). */
export function utf16SortKey(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}
