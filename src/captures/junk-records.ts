import type { PacketRecord } from '../engine/capture/packet-record';

/**
 * Counts the packet records of an upload that carry nothing to analyse: empty ones (capLen 0) and
 * verbatim repeats of the record before (same time to the nanosecond, same bytes). A capture made
 * mostly of them is filler — the cheapest way to make the API store and the workers walk millions
 * of records — so the ingest refuses it (422) once the share passes the limit.
 *
 * A repeat needs the same timestamp too: real floods repeat one packet thousands of times
 * (../shared/pcaps/public/…rsmurf6.pcap is 99.9 % identical packets) but at distinct times.
 * Small captures are not judged: tcpdump's crash corpus has files of a few dozen records that are
 * mostly empty or repeated, harmless at that size (the largest such file has 38 records).
 */
export const JUNK_CHECK_MIN_RECORDS = 1000;

export class JunkRecordCounter {
  records = 0;
  empty = 0;
  repeated = 0;
  private last = Buffer.alloc(0);
  private lastLength = -1;
  private lastSec = -1;
  private lastNsec = -1;

  /** Called for every record (the record is valid only during the call). */
  see(rec: PacketRecord): void {
    this.records++;
    if (rec.capLen === 0) {
      this.empty++;
      this.lastLength = -1;
      return;
    }
    const bytes = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
    if (
      rec.tsSec === this.lastSec &&
      rec.tsNsec === this.lastNsec &&
      rec.capLen === this.lastLength &&
      bytes.equals(this.last.subarray(0, rec.capLen))
    ) {
      this.repeated++;
      return;
    }
    this.lastSec = rec.tsSec;
    this.lastNsec = rec.tsNsec;
    this.lastLength = rec.capLen;
    // One reused buffer, grown to the largest record seen (capLen is capped by the parser).
    if (this.last.length < rec.capLen) this.last = Buffer.allocUnsafe(Math.max(rec.capLen, 2048));
    bytes.copy(this.last, 0);
  }

  get share(): number {
    return this.records === 0 ? 0 : (this.empty + this.repeated) / this.records;
  }

  /** Why the records so far are refused as junk, or null while they pass. */
  refusal(maxShare: number): string | null {
    if (this.records < JUNK_CHECK_MIN_RECORDS || this.share <= maxShare) return null;
    const pct = (n: number) => `${((100 * n) / this.records).toFixed(1)} %`;
    return (
      `${pct(this.empty + this.repeated)} of the ${this.records} packet records read are empty (capLen 0: ${pct(this.empty)}) ` +
      `or repeat the record before verbatim (${pct(this.repeated)}); more than ${maxShare * 100} % ` +
      `(UPLOAD_MAX_EMPTY_RECORD_SHARE=${maxShare}) is refused as filler, not traffic`
    );
  }
}
