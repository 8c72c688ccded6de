/**
 * pcapng timestamps are a 64-bit count of units (high and low 32-bit halves) whose size the
 * interface's if_tsresol gives: 10^-n s (high bit clear) or 2^-n s (high bit set).
 *
 * The common decimal resolutions (n <= 9, i.e. s/ms/µs/ns) are converted exactly with Number
 * arithmetic by long division in 16-bit limbs, so no intermediate exceeds 2^53. Anything else
 * (power-of-two, finer than 1 ns, or a result beyond 2^53 s) goes through BigInt, which is slow
 * but rare.
 */
export class TimestampConverter {
  /** Units per second for the Number path (10^n), or 0 when BigInt is needed. */
  private readonly divisor: number;
  /** Nanoseconds per unit for the Number path. */
  private readonly nsecPerUnit: number;
  private readonly bigUnitsPerSec: bigint;

  /** Result of the last convert(): whole seconds (before if_tsoffset is added) and ns. */
  sec = 0;
  nsec = 0;

  constructor(tsresol: number) {
    const n = tsresol & 0x7f;
    if ((tsresol & 0x80) !== 0) {
      this.divisor = 0;
      this.nsecPerUnit = 0;
      this.bigUnitsPerSec = 1n << BigInt(n);
    } else {
      this.divisor = n <= 9 ? 10 ** n : 0;
      this.nsecPerUnit = n <= 9 ? 10 ** (9 - n) : 0;
      this.bigUnitsPerSec = 10n ** BigInt(n);
    }
  }

  convert(high: number, low: number): void {
    const d = this.divisor;
    // Fast path: the whole count fits in 2^53, so one division (corrected by one step) is exact.
    if (d !== 0 && high < 0x200000) {
      const v = high * 4294967296 + low;
      let sec = Math.floor(v / d);
      let rem = v - sec * d;
      if (rem < 0) {
        sec--;
        rem += d;
      } else if (rem >= d) {
        sec++;
        rem -= d;
      }
      this.sec = sec;
      this.nsec = rem * this.nsecPerUnit;
      return;
    }
    this.convertWide(high, low);
  }

  /** Counts beyond 2^53 units; kept out of convert() so that one stays small enough to inline. */
  private convertWide(high: number, low: number): void {
    const d = this.divisor;
    // Long division in 16-bit limbs; qh * 2^32 must stay below 2^53: qh < 2^21.
    if (d !== 0) {
      const rh = high % d;
      const qh = (high - rh) / d;
      if (qh < 0x200000) {
        const t1 = rh * 65536 + (low >>> 16); // < 2^30 * 2^16 + 2^16 < 2^47: exact
        let q1 = Math.floor(t1 / d);
        let r1 = t1 - q1 * d;
        if (r1 < 0) {
          q1--;
          r1 += d;
        } else if (r1 >= d) {
          q1++;
          r1 -= d;
        }
        const t2 = r1 * 65536 + (low & 0xffff);
        let q2 = Math.floor(t2 / d);
        let r2 = t2 - q2 * d;
        if (r2 < 0) {
          q2--;
          r2 += d;
        } else if (r2 >= d) {
          q2++;
          r2 -= d;
        }
        this.sec = qh * 4294967296 + q1 * 65536 + q2;
        this.nsec = r2 * this.nsecPerUnit;
        return;
      }
    }
    this.convertBig(high, low);
  }

  private convertBig(high: number, low: number): void {
    const v = (BigInt(high) << 32n) | BigInt(low);
    const per = this.bigUnitsPerSec;
    const sec = v / per;
    const frac = v - sec * per;
    this.sec = Number(sec);
    // Truncate to whole nanoseconds, as Wireshark does for sub-nanosecond and binary fractions.
    this.nsec = Number((frac * 1_000_000_000n) / per);
  }
}
