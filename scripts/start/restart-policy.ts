/**
 * When a crashed worker is started again: back-off doubling from 1 s to 30 s with the number of
 * crashes in the last minute, and a crash loop once there were LOOP_CRASHES in that minute (it
 * keeps being restarted at the longest back-off: a database coming back ends the loop by itself).
 */
export const WINDOW_MS = 60_000;
export const LOOP_CRASHES = 5;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

export interface RestartDecision {
  delayMs: number;
  crashLoop: boolean;
  /** Crash times still inside the window, this one included. */
  recent: number[];
}

export function nextRestart(previousCrashes: readonly number[], now: number): RestartDecision {
  const recent = [...previousCrashes.filter((t) => now - t < WINDOW_MS), now];
  const delayMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (recent.length - 1));
  return { delayMs, crashLoop: recent.length >= LOOP_CRASHES, recent };
}
