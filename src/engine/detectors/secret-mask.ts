/**
 * Masking of secrets (passwords, community strings, tokens) as soon as a detector reads them
 * (DESIGN.md §3, §6): only the masked form may reach a finding, a snapshot, a log or an error.
 *
 * Rule: a secret of 8 or more characters shows its first and last character, a star for each
 * hidden one (at most MAX_STARS, the length says the rest) and its length:
 * "Tr0ub4dor&3" → "T*********3 (11 chars)". A secret of 1–7 characters shows no character at all
 * ("hunter2" → "******* (7 chars)"): revealing two characters of a short secret gives away too
 * large a share of it (2 of 4 = half) and shrinks a brute-force search by the same factor.
 * The empty secret is "(empty)". Characters are Unicode code points (a surrogate pair is one
 * character); a shown character that is not printable ASCII is shown as "?" so the mask is safe
 * to print anywhere.
 */
export const MASK_REVEAL_MIN_LENGTH = 8;
const MAX_STARS = 32;

function printable(ch: string): string {
  return /^[\x21-\x7e]$/.test(ch) ? ch : '?';
}

export function maskSecret(secret: string): string {
  if (secret.length === 0) return '(empty)';
  const chars = Array.from(secret);
  const n = chars.length;
  const unit = n === 1 ? 'char' : 'chars';
  if (n < MASK_REVEAL_MIN_LENGTH) return `${'*'.repeat(n)} (${n} ${unit})`;
  const stars = '*'.repeat(Math.min(n - 2, MAX_STARS));
  return `${printable(chars[0])}${stars}${printable(chars[n - 1])} (${n} ${unit})`;
}

/**
 * The mask of a secret typed one character at a time (Telnet keystrokes) without keeping the
 * whole secret: first character, last character, length. `lastKnown` is false when editing
 * (backspace) removed the last character and the one before it is no longer known (state
 * restored from a snapshot, which never holds the clear characters); the mask then shows "*"
 * in its place.
 */
export interface PartialMask {
  first: string;
  last: string;
  len: number;
  lastKnown: boolean;
}

export function maskFromParts(p: PartialMask): string {
  if (p.len <= 0) return '(empty)';
  const unit = p.len === 1 ? 'char' : 'chars';
  if (p.len < MASK_REVEAL_MIN_LENGTH) return `${'*'.repeat(p.len)} (${p.len} ${unit})`;
  const stars = '*'.repeat(Math.min(p.len - 2, MAX_STARS));
  const last = p.lastKnown ? printable(p.last) : '*';
  return `${printable(p.first)}${stars}${last} (${p.len} ${unit})`;
}
