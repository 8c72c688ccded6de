import type { BaselineSession } from '../baseline/baseline-session';
import type { IndicatorIndex } from '../intel/indicator-index';

/**
 * Inputs some detectors need that are not thresholds: data loaded outside the engine (the
 * engine does no I/O) and handed in when the detector set is built — threat-intelligence
 * indicators, a learned network baseline. Each is optional: a detector without its resource
 * stays silent and cheap. Resources are not part of detector snapshots (they are reloaded by
 * whoever builds the pipeline), so a chunk on another worker must be given the same ones.
 */
export interface DetectorResources {
  /** Learned network baseline: mode + model in, learned model out (network-baseline detector). */
  baseline?: BaselineSession;
  /** Threat-intelligence indicators (src/intel loads the feeds; the threat-intel detector matches). */
  intel?: IndicatorIndex;
}
