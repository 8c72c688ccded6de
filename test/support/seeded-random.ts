import { randomInt } from 'node:crypto';

/**
 * A small seeded generator (mulberry32) for fault schedules: a run prints its seed, and the same
 * seed replays the same kill points, so a failure seen once can be chased.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The seed from `name` in the environment (to replay a run), else a fresh one. */
export function seedFromEnv(name: string): number {
  const given = process.env[name];
  if (given !== undefined && /^\d+$/.test(given)) return Number(given);
  return randomInt(2 ** 31);
}
