import type { EntityManager } from 'typeorm';
import type { Finding } from '../engine/finding';
import type { SummaryDelta } from '../engine/summary/traffic-summary';

/**
 * SEAM (filled by the traffic-summary work): persists one chunk's summary delta (and what the
 * changed findings say, e.g. masked credentials) inside the chunk's transaction.
 */
export async function writeSummary(
  _manager: EntityManager,
  _captureId: string,
  _delta: SummaryDelta,
  _changedFindings: readonly Finding[],
): Promise<void> {}
