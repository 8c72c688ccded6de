import { createHash } from 'node:crypto';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** A host as a finding names it; every field optional because links and layers vary. */
export interface HostRef {
  ip?: string;
  mac?: string;
  port?: number;
}

/** The stable, documented shape (README "JSON output"); the API and the database use it too. */
export interface Finding {
  /** Deterministic: sha256(captureId, detector, key), so re-runs and retried chunks upsert. */
  id: string;
  detector: string;
  type: string;
  severity: Severity;
  title: string;
  description: string;
  /** MITRE ATT&CK technique id, e.g. "T1557.002". */
  mitre?: string;
  /** Packet time, ISO-8601 with microseconds. */
  firstSeen: string;
  lastSeen: string;
  count: number;
  src?: HostRef;
  dst?: HostRef;
  evidence: { frames: number[]; framesTotal: number; [detail: string]: unknown };
}

/** What a detector hands to ctx.report(); the pipeline turns it into / merges it into a Finding. */
export interface FindingReport {
  /** Identity within the detector: the same key updates the same finding. */
  key: string;
  type: string;
  severity: Severity;
  title: string;
  description: string;
  mitre?: string;
  /** Packet time (s) and frame number of the packet that triggered this report. */
  time: number;
  frame: number;
  /** Extra evidence frames beyond `frame` (bounded by the pipeline). */
  frames?: number[];
  src?: HostRef;
  dst?: HostRef;
  /** Structured evidence merged (shallowly, last wins) into Finding.evidence. */
  details?: Record<string, unknown>;
  /** Absolute count to set; when omitted the count grows by one per report. */
  count?: number;
  /**
   * For a detector that reports only now and then (at 1x, 2x, 4x… its count) but knows every frame
   * that is evidence: the absolute number of those frames. `frames` then lists only the evidence
   * frames new since its previous report (it may stop listing them early; the store keeps at most
   * maxEvidenceFrames anyway), and `frame`, the trigger, is not added a second time.
   */
  framesTotal?: number;
}

export function findingId(captureId: string, detector: string, key: string): string {
  return createHash('sha256')
    .update(captureId)
    .update('\0')
    .update(detector)
    .update('\0')
    .update(key)
    .digest('hex')
    .slice(0, 32);
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds: the years four ISO digits (and PostgreSQL) take. */
const FIRST_ISO_SECOND = -62_135_596_800;
const LAST_ISO_SECOND = 253_402_300_799;

/**
 * ISO-8601 with microsecond precision from packet time in seconds (Date only keeps ms).
 * Capture timestamps are attacker-controlled (a pcapng count times if_tsresol plus if_tsoffset
 * reaches 2^64 s): a time outside years 0001–9999 is shown as the nearest end of that range,
 * not thrown on (Date stops at ±8.64e12 s) nor written in a form the database refuses.
 */
export function isoTime(time: number): string {
  if (!(time >= FIRST_ISO_SECOND)) return '0001-01-01T00:00:00.000000Z';
  if (time >= LAST_ISO_SECOND + 1) return '9999-12-31T23:59:59.999999Z';
  const sec = Math.floor(time);
  const micros = Math.round((time - sec) * 1e6);
  const carry = micros >= 1_000_000 ? 1 : 0;
  if (sec + carry > LAST_ISO_SECOND) return '9999-12-31T23:59:59.999999Z';
  const base = new Date((sec + carry) * 1000).toISOString(); // ...T12:34:56.000Z
  return `${base.slice(0, 19)}.${String(carry ? 0 : micros).padStart(6, '0')}Z`;
}
