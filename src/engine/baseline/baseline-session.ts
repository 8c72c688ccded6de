import type { BaselineModel } from './baseline-model';

/**
 * What the network-baseline detector does with a model:
 * - `learn`: extend the model with every packet (no findings);
 * - `detect`: compare every packet with the model (the model is not changed);
 * - `auto`: learn while packet time is within `learnPeriod` of the model's start, then detect.
 */
export type BaselineMode = 'learn' | 'detect' | 'auto';

export const BASELINE_MODES: readonly BaselineMode[] = ['learn', 'detect', 'auto'];

/**
 * The baseline handed to the detector set through DetectorResources: the mode and the model in,
 * the learned model out. The detector never changes `model` (it works on its own copy, carried in
 * its snapshot so chunked learning gives the same model); at the end of the capture (flush) it
 * sets `learned` to the model it holds (learn and auto modes; null in detect mode). Whoever built
 * the session (the CLI, a worker) persists `learned` through a BaselineStore.
 */
export interface BaselineSession {
  mode: BaselineMode;
  model: BaselineModel;
  learned: BaselineModel | null;
}

export function baselineSession(mode: BaselineMode, model: BaselineModel): BaselineSession {
  return { mode, model, learned: null };
}
