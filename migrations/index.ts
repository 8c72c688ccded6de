import { CapturesFindings1764000000000 } from './1764000000000-captures-findings';

/** Applied in this order; each later issue appends its own. */
export const MIGRATIONS = [CapturesFindings1764000000000];
