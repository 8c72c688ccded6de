import type { Detector } from '../detectors/detector';

/**
 * SEAM (filled by the traffic-summary work): what a capture contained besides findings — flows,
 * hosts, TLS servers/certificates, traffic over time — collected as a pipeline observer with
 * bounded, serialisable state, handed to the database after each chunk as a delta.
 */
export interface SummaryDelta {
  [table: string]: unknown[];
}

export type TrafficSummaryState = unknown;

export class TrafficSummary {
  /** Pass to `new Pipeline({ observers: [summary.observer()] })`. */
  observer(): Partial<Detector> {
    return {};
  }

  /** What changed since the previous call (after each chunk). */
  takeChanged(): SummaryDelta {
    return {};
  }

  /** End of capture. */
  finish(): void {}

  snapshot(): TrafficSummaryState {
    return null;
  }

  restore(_state: TrafficSummaryState): void {}
}
