import { StateCipher, StateCipherError } from './state-cipher';

describe('StateCipher', () => {
  const state = { pipeline: { password: 'hunter2', nested: [1, 'two', null] }, summary: { n: 3 } };
  const id = '6f1c1e39-3a0e-4c36-9c57-9a1c6f1d3b10';

  it('round-trips the state and never holds it in clear', () => {
    const c = new StateCipher('secret-one-0123456789abcdef0123456789');
    const sealed = c.seal(id, state);
    expect(c.open(id, sealed)).toEqual(state);
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    // A fresh IV every time: the same state never seals to the same bytes.
    expect(c.seal(id, state).equals(sealed)).toBe(false);
  });

  it('refuses another key', () => {
    const sealed = new StateCipher('secret-one-0123456789abcdef0123456789').seal(id, state);
    expect(() => new StateCipher('secret-two-0123456789abcdef0123456789').open(id, sealed)).toThrow(StateCipherError);
  });

  it("refuses another capture's state", () => {
    const c = new StateCipher('secret-one-0123456789abcdef0123456789');
    const sealed = c.seal(id, state);
    expect(() => c.open('00000000-0000-4000-8000-000000000000', sealed)).toThrow(StateCipherError);
  });

  it('refuses any altered byte (header, IV, tag or body) and truncation', () => {
    const c = new StateCipher('secret-one-0123456789abcdef0123456789');
    const sealed = c.seal(id, state);
    for (const i of [0, 1, 13, 29, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] ^= 0x01;
      expect(() => c.open(id, bad)).toThrow(StateCipherError);
    }
    expect(() => c.open(id, sealed.subarray(0, sealed.length - 1))).toThrow(StateCipherError);
    expect(() => c.open(id, sealed.subarray(0, 10))).toThrow(StateCipherError);
  });
});
