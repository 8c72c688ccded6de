/**
 * Names what a file that is not a capture starts with, for the one-line "not a capture" error:
 * the hex of its first bytes plus a guess at the format when it is a common mistake
 * (a compressed capture, an archive, a document, a web page).
 */
export function describeFirstBytes(buf: Buffer, start = 0, end = buf.length): string {
  const n = Math.min(8, end - start);
  if (n <= 0) return 'the input is empty';
  let hex = '';
  for (let i = 0; i < n; i++) hex += (i > 0 ? ' ' : '') + buf[start + i].toString(16).padStart(2, '0');
  const guess = guessFormat(buf, start, end);
  return `first bytes ${hex}${guess === null ? '' : ` (${guess})`} are not a pcap or pcapng magic number`;
}

function startsWith(buf: Buffer, start: number, end: number, bytes: readonly number[]): boolean {
  if (end - start < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

function ascii(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

const SIGNATURES: ReadonlyArray<[readonly number[], string]> = [
  [[0x1f, 0x8b], 'gzip-compressed data (decompress first)'],
  [ascii('BZh'), 'bzip2-compressed data (decompress first)'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed data (decompress first)'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed data (decompress first)'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (extract the capture first)'],
  [[0x50, 0x4b, 0x05, 0x06], 'an empty zip archive'],
  [ascii('7z'), 'a 7-zip archive (extract the capture first)'],
  [ascii('%PDF'), 'a PDF document'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [ascii('snoop\0'), 'a Solaris snoop capture (convert it with editcap first)'],
  [ascii('GMBU'), 'a Microsoft Network Monitor capture (convert it with editcap first)'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
];

function guessFormat(buf: Buffer, start: number, end: number): string | null {
  for (const [sig, name] of SIGNATURES) if (startsWith(buf, start, end, sig)) return name;
  // Text: look at what we have of the head (at most 512 bytes), skipping a UTF-8 BOM.
  let s = start;
  if (startsWith(buf, s, end, [0xef, 0xbb, 0xbf])) s += 3;
  const stop = Math.min(end, s + 512);
  let printable = true;
  for (let i = s; i < stop; i++) {
    const c = buf[i];
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c === 0x7f) {
      printable = false;
      break;
    }
  }
  if (!printable || stop === s) return null;
  const head = buf.toString('latin1', s, stop).trimStart().slice(0, 64).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML page';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'XML/HTML text';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON text';
  return 'text';
}
