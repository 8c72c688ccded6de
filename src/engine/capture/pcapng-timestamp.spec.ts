import { TimestampConverter } from './pcapng-timestamp';

function reference(tsresol: number, v: bigint): [number, number] {
  const n = BigInt(tsresol & 0x7f);
  const per = (tsresol & 0x80) !== 0 ? 1n << n : 10n ** n;
  const sec = v / per;
  return [Number(sec), Number(((v - sec * per) * 1_000_000_000n) / per)];
}

describe('TimestampConverter', () => {
  // Deterministic spread of 64-bit values: edges plus an LCG walk over both halves.
  const values: bigint[] = [
    0n,
    1n,
    0xffffffffn,
    0x100000000n,
    (1n << 53n) - 1n,
    1n << 53n,
    0xffffffffffffffffn,
    1_700_000_000_123_456_789n,
  ];
  let x = 12345n;
  for (let i = 0; i < 3000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    values.push(i % 2 === 0 ? x : x >> BigInt(i % 40));
  }

  it.each([0, 1, 3, 6, 9, 10, 12, 0x80, 0x8a, 0x94, 0x9e, 0xbf])(
    'matches exact BigInt arithmetic for if_tsresol 0x%s',
    (tsresol) => {
      const conv = new TimestampConverter(tsresol);
      for (const v of values) {
        conv.convert(Number(v >> 32n), Number(v & 0xffffffffn));
        const [sec, nsec] = reference(tsresol, v);
        if (conv.sec !== sec || conv.nsec !== nsec)
          throw new Error(`tsresol ${tsresol} v ${v}: got ${conv.sec}.${conv.nsec}, want ${sec}.${nsec}`);
      }
    },
  );

  it('converts typical µs and ns timestamps exactly', () => {
    const us = new TimestampConverter(6);
    const v = 1_712_345_678_999_999n;
    us.convert(Number(v >> 32n), Number(v & 0xffffffffn));
    expect([us.sec, us.nsec]).toEqual([1_712_345_678, 999_999_000]);
    const ns = new TimestampConverter(9);
    const w = 1_712_345_678_000_000_001n;
    ns.convert(Number(w >> 32n), Number(w & 0xffffffffn));
    expect([ns.sec, ns.nsec]).toEqual([1_712_345_678, 1]);
  });
});
