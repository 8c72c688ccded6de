/**
 * `count` pseudo-random buffers of 0 to maxLen-1 bytes from a linear congruential generator:
 * the same seed gives the same bytes, so a hostile-input test that fails can be replayed.
 */
export function randomBuffers(count: number, maxLen: number, seed: number): Buffer[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const len = Math.floor(rnd() * maxLen);
    out.push(Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256))));
  }
  return out;
}
