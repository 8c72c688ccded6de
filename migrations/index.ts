import { CapturesFindings1764000000000 } from './1764000000000-captures-findings';
import { TrafficSummary1764000006000 } from './1764000006000-traffic-summary';
import { CaptureIntelVersion1764000011000 } from './1764000011000-capture-intel-version';
import { Baselines1764000012000 } from './1764000012000-baselines';
import { LiveSessions1764000013000 } from './1764000013000-live-sessions';
import { ApiKeyRoles1764000013100 } from './1764000013100-api-key-roles';

/** Applied in this order; each later issue appends its own. */
export const MIGRATIONS = [
  CapturesFindings1764000000000,
  TrafficSummary1764000006000,
  CaptureIntelVersion1764000011000,
  Baselines1764000012000,
  LiveSessions1764000013000,
  ApiKeyRoles1764000013100,
];
