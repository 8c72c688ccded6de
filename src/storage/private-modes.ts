import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Modes for everything netwarden writes under its data directory (and for files it writes
 * elsewhere that hold captured data: a baseline, a feed's cached copy). Chunk files hold raw
 * packets — cleartext passwords included — so they are as private as a key file.
 *
 * These are passed explicitly on every open/mkdir. The process umask can only remove bits, so a
 * file created with 0600 is never wider than 0600 whatever the umask is; what a mode on create
 * cannot fix is a directory that already exists with looser bits — that is what
 * tightenPrivateDir is for (the data directory itself, at start-up).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Permission bits of a path (no file type bits). */
export function permissionBits(path: string): number {
  return statSync(path).mode & 0o777;
}

/**
 * Creates `dir` (and missing parents) 0700; an existing directory with group or other bits is
 * chmod-ed to 0700. Returns the bits it had before when they were tightened, else null.
 */
export function tightenPrivateDir(dir: string): number | null {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const before = permissionBits(dir);
  if ((before & 0o077) === 0) return null;
  chmodSync(dir, PRIVATE_DIR_MODE);
  return before;
}
