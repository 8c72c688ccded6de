import { Finding, FindingReport, findingId, isoTime, severityRank } from './finding';

/**
 * Turns detector reports into findings: one finding per (detector, key), updated — count, last
 * seen, evidence — instead of repeated (Suricata's backoff / Zeek's notice suppression idea).
 * Bounded: at most `maxFindings` findings and `maxEvidenceFrames` frames each.
 */
export interface FindingStoreState {
  findings: StoredFinding[];
  dropped: number;
}

interface StoredFinding {
  /** detector + NUL + the detector's key: the store's identity of the finding. */
  k: string;
  f: Finding;
  first: number;
  last: number;
}

export class FindingStore {
  private readonly byKey = new Map<string, StoredFinding>();
  private readonly changed = new Set<string>();
  /** New findings refused because maxFindings was reached. */
  dropped = 0;

  constructor(
    private readonly captureId: string,
    private readonly maxFindings: number,
    private readonly maxEvidenceFrames: number,
  ) {}

  report(detector: string, r: FindingReport): void {
    const key = `${detector}\0${r.key}`;
    let s = this.byKey.get(key);
    if (!s) {
      if (this.byKey.size >= this.maxFindings) {
        this.dropped++;
        return;
      }
      s = {
        k: key,
        first: r.time,
        last: r.time,
        f: {
          id: findingId(this.captureId, detector, r.key),
          detector,
          type: r.type,
          severity: r.severity,
          title: r.title,
          description: r.description,
          ...(r.mitre ? { mitre: r.mitre } : {}),
          firstSeen: isoTime(r.time),
          lastSeen: isoTime(r.time),
          count: 0,
          ...(r.src ? { src: { ...r.src } } : {}),
          ...(r.dst ? { dst: { ...r.dst } } : {}),
          evidence: { frames: [], framesTotal: 0 },
        },
      };
      this.byKey.set(key, s);
    }
    const f = s.f;
    f.type = r.type;
    // A finding's severity only rises: a later, milder report must not hide what was seen.
    if (severityRank(r.severity) >= severityRank(f.severity)) f.severity = r.severity;
    f.title = r.title;
    f.description = r.description;
    if (r.mitre) f.mitre = r.mitre;
    if (r.src) f.src = { ...r.src };
    if (r.dst) f.dst = { ...r.dst };
    if (r.time < s.first) {
      s.first = r.time;
      f.firstSeen = isoTime(r.time);
    }
    if (r.time > s.last) {
      s.last = r.time;
      f.lastSeen = isoTime(r.time);
    }
    f.count = r.count ?? f.count + 1;
    this.addFrame(f, r.frame);
    if (r.frames) for (const fr of r.frames) this.addFrame(f, fr);
    if (r.details) Object.assign(f.evidence, r.details);
    this.changed.add(key);
  }

  private addFrame(f: Finding, frame: number): void {
    const frames = f.evidence.frames;
    if (frames.length > 0 && frames[frames.length - 1] === frame) return;
    f.evidence.framesTotal++;
    if (frames.length < this.maxEvidenceFrames) frames.push(frame);
  }

  /** All findings, ordered by first seen, then detector and key (stable across runs and names). */
  all(): Finding[] {
    return sortFindings([...this.byKey.values()]);
  }

  /** Findings created or updated since the last call (what a worker upserts after a chunk). */
  takeChanged(): Finding[] {
    const out: StoredFinding[] = [];
    for (const k of this.changed) {
      const s = this.byKey.get(k);
      if (s) out.push(s);
    }
    this.changed.clear();
    return sortFindings(out);
  }

  snapshot(): FindingStoreState {
    return { findings: [...this.byKey.values()].map((s) => structuredClone(s)), dropped: this.dropped };
  }

  restore(state: FindingStoreState): void {
    this.byKey.clear();
    this.changed.clear();
    for (const s of state.findings) this.byKey.set(s.k, structuredClone(s));
    this.dropped = state.dropped;
  }
}

function sortFindings(list: StoredFinding[]): Finding[] {
  // Ties break on detector + key, not on the id: the id hashes the capture id, and the order of
  // one capture's findings must not depend on what the capture is called.
  list.sort((a, b) => a.first - b.first || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return list.map((s) => s.f);
}
