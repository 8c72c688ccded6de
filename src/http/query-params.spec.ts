import {
  QueryParamError,
  intParam,
  ipParam,
  rejectUnknownParams,
  singleParam,
  timeParam,
  uuidParam,
} from './query-params';

/** The checks every listing route shares: one reading of times, ids and integers, one wording. */
describe('query parameters', () => {
  const refusal = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(QueryParamError);
      return (err as QueryParamError).message;
    }
    throw new Error('not refused');
  };

  it('times: a zone is required, calendar fields must exist, epoch seconds only where allowed', () => {
    expect(timeParam('2024-05-01', 'from')).toBe('2024-05-01T00:00:00Z');
    expect(timeParam('2024-05-01T12:00:00.123456Z', 'from')).toBe('2024-05-01T12:00:00.123456Z');
    expect(timeParam('2024-05-01T12:00:00 02:00', 'from')).toBe('2024-05-01T12:00:00+02:00');
    expect(timeParam('1714564800', 'from', { epochSeconds: true })).toBe('2024-05-01T12:00:00.000Z');
    for (const bad of ['2024-05-01T12:00:00', '2024-02-31', '2024-01-01T24:00:00Z', 'yesterday'])
      expect(refusal(() => timeParam(bad, 'from'))).toMatch(/^from: not an ISO-8601 time with a zone/);
    expect(refusal(() => timeParam('1714564800', 'to'))).toMatch(/^to: not an ISO-8601 time/);
  });

  it('times: offsets within ±15:59 and instants within 1970–9999 UTC, as PostgreSQL takes them', () => {
    expect(timeParam('2024-01-01T00:00:00+15:59', 'from')).toBe('2024-01-01T00:00:00+15:59');
    expect(timeParam('9999-12-31T09:59:59-14:00', 'to')).toBe('9999-12-31T09:59:59-14:00');
    expect(timeParam('253402300799', 'to', { epochSeconds: true })).toBe('9999-12-31T23:59:59.000Z');
    for (const bad of ['2024-01-01T00:00:00+16:00', '2024-01-01T00:00:00-16:00', '2024-01-01T00:00:00+00:60'])
      expect(refusal(() => timeParam(bad, 'from'))).toMatch(/^from: (the UTC offset must be within ±15:59|not an ISO)/);
    expect(refusal(() => timeParam('2024-01-01T00:00:00+16:00', 'from'))).toBe(
      'from: the UTC offset must be within ±15:59',
    );
    for (const bad of ['9999-12-31T23:59:59-14:00', '1969-12-31T23:59:59Z', '1970-01-01T00:00:00+00:01'])
      expect(refusal(() => timeParam(bad, 'to'))).toMatch(/^to: out of range/);
    expect(refusal(() => timeParam('999999999999', 'to', { epochSeconds: true }))).toMatch(/^to: out of range/);
  });

  it('addresses: IPv4 or IPv6, no zone id', () => {
    expect(ipParam('fe80::1', 'ip')).toBe('fe80::1');
    expect(ipParam('', 'ip')).toBeNull();
    for (const bad of ['fe80::1%eth0', '999.1.1.1', '1.2.3.4\u0000'])
      expect(refusal(() => ipParam(bad, 'ip'))).toBe('ip: not an IPv4 or IPv6 address');
  });

  it('ids, integers, repeats and unknown names are refused naming the parameter, the value shown safely', () => {
    expect(uuidParam('0B6F3A2E-1C4D-4E5F-8A9B-0C1D2E3F4A5B', 'capture')).toBe('0b6f3a2e-1c4d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(uuidParam(null, 'capture')).toBeNull();
    expect(refusal(() => uuidParam("' OR 1=1 --", 'capture'))).toBe('capture: not a UUID');
    expect(intParam(null, 'limit', 50, 1, 500)).toBe(50);
    expect(intParam('500', 'limit', 50, 1, 500)).toBe(500);
    for (const bad of ['0', '501', '1e2', '-1', ' 5'])
      expect(refusal(() => intParam(bad, 'limit', 50, 1, 500))).toBe('limit: must be an integer from 1 to 500');
    expect(refusal(() => singleParam({ page: ['1', '2'] }, 'page'))).toBe('page: must be given once, as a plain value');
    expect(refusal(() => rejectUnknownParams({ 'a\u0000<b>': '1' }, ['page']))).toBe(
      'unknown query parameter "a?<b>" (known: page)',
    );
  });
});
