import { closeSync, openSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../storage/private-modes';

/**
 * Writes one live chunk file (synchronously: the capture process calls it inside libpcap's
 * loop). Raw packets, so 0600 whatever the umask; a short write (disk full) is an error rather
 * than a chunk that silently lacks its tail.
 */
export function writeChunkFile(dir: string, file: string, parts: Buffer[]): void {
  const fd = openSync(join(dir, file), 'w', PRIVATE_FILE_MODE);
  try {
    const expected = parts.reduce((n, p) => n + p.length, 0);
    const written = writevSync(fd, parts);
    if (written !== expected) throw new Error(`${file}: short write (${written} of ${expected} bytes; disk full?)`);
  } finally {
    closeSync(fd);
  }
}
