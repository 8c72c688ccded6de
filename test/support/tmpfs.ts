import { spawnSync } from 'node:child_process';

/**
 * A small RAM file system the test mounts itself (root only), to make "the data disk is full"
 * real without filling the machine's disk. argv only, no shell.
 */
export function canMountTmpfs(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  return null;
}

export function mountTmpfs(dir: string, bytes: number): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr.trim()}`);
}

/** Unmounts; lazily when something still holds a file there, so a failed test never leaves it behind. */
export function unmountTmpfs(dir: string): void {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
}
