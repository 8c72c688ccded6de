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
  /** detector → its key → finding: no key string is built per report. */
  private readonly byDetector = new Map<string, Map<string, StoredFinding>>();
  private size = 0;
  private readonly changed = new Set<StoredFinding>();
  /** New findings refused because maxFindings was reached. */
  dropped = 0;

  constructor(
    private readonly captureId: string,
    private readonly maxFindings: number,
    private readonly maxEvidenceFrames: number,
  ) {}

  report(detector: string, r: FindingReport): void {
    let own = this.byDetector.get(detector);
    if (own === undefined) {
      own = new Map();
      this.byDetector.set(detector, own);
    }
    let s = own.get(r.key);
    if (!s) {
      if (this.size >= this.maxFindings) {
        this.dropped++;
        return;
      }
      s = {
        k: `${detector}\0${r.key}`,
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
          firstSeen: '',
          lastSeen: '',
          count: 0,
          ...(r.src ? { src: { ...r.src } } : {}),
          ...(r.dst ? { dst: { ...r.dst } } : {}),
          evidence: { frames: [], framesTotal: 0 },
        },
      };
      own.set(r.key, s);
      this.size++;
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
    // Times stay numbers here (reports can come once per packet); the ISO text is made on output.
    if (r.time < s.first) s.first = r.time;
    if (r.time > s.last) s.last = r.time;
    f.count = r.count ?? f.count + 1;
    if (r.framesTotal === undefined) {
      this.addFrame(f, r.frame);
      if (r.frames) for (const fr of r.frames) this.addFrame(f, fr);
    } else {
      for (const fr of r.frames ?? []) this.addFrame(f, fr);
      f.evidence.framesTotal = r.framesTotal;
    }
    if (r.details) Object.assign(f.evidence, r.details);
    this.changed.add(s);
  }

  private addFrame(f: Finding, frame: number): void {
    const frames = f.evidence.frames;
    if (frames.length > 0 && frames[frames.length - 1] === frame) return;
    f.evidence.framesTotal++;
    if (frames.length < this.maxEvidenceFrames) frames.push(frame);
  }

  /** All findings, ordered by first seen, then detector and key (stable across runs and names). */
  all(): Finding[] {
    return sortFindings(this.stored());
  }

  /** Findings created or updated since the last call (what a worker upserts after a chunk). */
  takeChanged(): Finding[] {
    return this.takeChangedEntries().map((e) => e.finding);
  }

  /**
   * The same, each with its sort key (detector + NUL + key): the tie-break `all()` uses after
   * first seen, so a database can return findings in exactly the order `analyze` prints them.
   */
  takeChangedEntries(): Array<{ sortKey: string; finding: Finding }> {
    const out = [...this.changed];
    this.changed.clear();
    const findings = sortFindings(out);
    return out.map((s, i) => ({ sortKey: s.k, finding: findings[i] }));
  }

  snapshot(): FindingStoreState {
    return { findings: this.stored().map((s) => structuredClone(s)), dropped: this.dropped };
  }

  private stored(): StoredFinding[] {
    const out: StoredFinding[] = [];
    for (const own of this.byDetector.values()) for (const s of own.values()) out.push(s);
    return out;
  }

  restore(state: FindingStoreState): void {
    this.byDetector.clear();
    this.changed.clear();
    this.size = 0;
    for (const saved of state.findings) {
      const s = structuredClone(saved);
      const detector = s.f.detector;
      let own = this.byDetector.get(detector);
      if (own === undefined) {
        own = new Map();
        this.byDetector.set(detector, own);
      }
      own.set(s.k.slice(detector.length + 1), s);
      this.size++;
    }
    this.dropped = state.dropped;
  }
}

function sortFindings(list: StoredFinding[]): Finding[] {
  for (const s of list) {
    s.f.firstSeen = isoTime(s.first);
    s.f.lastSeen = isoTime(s.last);
  }
  // Ties break on detector + key, not on the id: the id hashes the capture id, and the order of
  // one capture's findings must not depend on what the capture is called.
  list.sort((a, b) => a.first - b.first || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return list.map((s) => s.f);
}
