import { tightenPrivateDir } from './private-modes';

/**
 * Start-up of the API, a worker and `analyze --db`: the data directory becomes 0700 if it was
 * looser (made by hand, by an older version, or by a umask of 022). Once it is 0700 nothing below
 * it is reachable by other users, whatever modes older files there have, so the tree is not
 * walked. The message appears only the time it actually changes something.
 */
export function secureDataDir(dir: string, log: (line: string) => void): void {
  let before: number | null;
  try {
    before = tightenPrivateDir(dir);
  } catch (err) {
    // Not ours to chmod (another owner): say so, the operator decides; writing may still work.
    log(`data directory ${dir}: cannot make it private (${(err as NodeJS.ErrnoException).code ?? err})`);
    return;
  }
  if (before !== null) {
    log(`data directory ${dir} was ${before.toString(8).padStart(4, '0')}: now 0700 (it holds raw packets)`);
  }
}
