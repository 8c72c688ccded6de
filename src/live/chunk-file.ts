import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../storage/private-modes';

/**
 * Writes one live chunk file (synchronously: the capture process calls it inside libpcap's
 * loop). Raw packets, so 0600 whatever the umask. A short write is continued until the file is
 * whole: on a full disk the continuation throws the system's own error (ENOSPC), so the session
 * fails with that reason rather than with a chunk that silently lacks its tail.
 */
export function writeChunkFile(dir: string, file: string, parts: Buffer[]): void {
  const fd = openSync(join(dir, file), 'w', PRIVATE_FILE_MODE);
  try {
    const expected = parts.reduce((n, p) => n + p.length, 0);
    const written = writevSync(fd, parts);
    if (written === expected) return;
    const rest = Buffer.concat(parts).subarray(written);
    for (let at = 0; at < rest.length;) {
      const n = writeSync(fd, rest, at);
      if (n === 0) throw new Error(`${file}: short write (${written + at} of ${expected} bytes)`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}
