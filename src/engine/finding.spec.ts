import { isoTime } from './finding';

describe('isoTime', () => {
  it('keeps microseconds and carries a rounded-up second', () => {
    expect(isoTime(1_700_000_000.123456)).toBe('2023-11-14T22:13:20.123456Z');
    expect(isoTime(1_700_000_000.9999996)).toBe('2023-11-14T22:13:21.000000Z');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });

  // Found by the fuzzer: a pcapng timestamp (count × if_tsresol + if_tsoffset) can lie beyond
  // what Date represents (±8.64e12 s); toISOString threw and `netwarden analyze` exited 70.
  it('clamps packet times outside years 0001–9999 instead of throwing', () => {
    expect(isoTime(9_151_315_199_410.053)).toBe('9999-12-31T23:59:59.999999Z');
    expect(isoTime(2 ** 64)).toBe('9999-12-31T23:59:59.999999Z');
    expect(isoTime(253_402_300_800)).toBe('9999-12-31T23:59:59.999999Z');
    expect(isoTime(253_402_300_799.5)).toBe('9999-12-31T23:59:59.500000Z');
    expect(isoTime(253_402_300_799.9999996)).toBe('9999-12-31T23:59:59.999999Z');
    expect(isoTime(Number.NaN)).toBe('0001-01-01T00:00:00.000000Z');
    expect(isoTime(-1e13)).toBe('0001-01-01T00:00:00.000000Z');
    expect(isoTime(-62_135_596_800)).toBe('0001-01-01T00:00:00.000000Z');
    expect(isoTime(-1)).toBe('1969-12-31T23:59:59.000000Z');
  });
});
