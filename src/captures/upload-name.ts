/**
 * The display name of an upload. It comes from the client (multipart filename or ?name=) and is
 * attacker-controlled: only the base name is kept (a client may send `../../etc/passwd` or
 * `C:\x\y`), control and bidi-override characters are dropped, and the length is bounded. The
 * result is shown in answers (JSON only) and never used to build a path: chunk files are named
 * by the capture id and sequence number.
 */
export const DEFAULT_UPLOAD_NAME = 'upload.pcap';
const MAX_NAME_CHARS = 200;
// C0/C1 controls, DEL, and the bidi embedding/override/isolate marks that can disguise a name.
const UNSAFE_CHARS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function sanitizeUploadName(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return DEFAULT_UPLOAD_NAME;
  const cleaned = raw.replace(UNSAFE_CHARS, '');
  const base = (cleaned.split(/[/\\]/).pop() ?? '').trim();
  if (base === '' || base === '.' || base === '..') return DEFAULT_UPLOAD_NAME;
  // Count code points, not UTF-16 units, so a surrogate pair is never cut in half.
  return Array.from(base).slice(0, MAX_NAME_CHARS).join('');
}
