import { maskFromParts, maskSecret } from './secret-mask';

describe('maskSecret', () => {
  it('shows first and last character and the length of secrets of 8 or more characters', () => {
    expect(maskSecret('Tr0ub4dor&3')).toBe('T*********3 (11 chars)');
    expect(maskSecret('correcthorse')).toBe('c**********e (12 chars)');
    expect(maskSecret('password')).toBe('p******d (8 chars)');
  });

  it('shows no character of a secret shorter than 8 (two of them would give away too much)', () => {
    expect(maskSecret('hunter2')).toBe('******* (7 chars)');
    expect(maskSecret('ab')).toBe('** (2 chars)');
    expect(maskSecret('x')).toBe('* (1 char)');
    expect(maskSecret('')).toBe('(empty)');
  });

  it('bounds the stars of a long token and keeps its true length', () => {
    const token = 'a' + 'b'.repeat(998) + 'z';
    expect(maskSecret(token)).toBe(`a${'*'.repeat(32)}z (1000 chars)`);
  });

  it('counts code points and never prints a control or non-ASCII character', () => {
    expect(maskSecret('\u00e9tudiant\u00e9')).toBe('?*******? (9 chars)');
    expect(maskSecret('\x1b[31mpasswd\n')).toBe('?**********? (12 chars)');
    expect(maskSecret('😀aaaaaa😀')).toBe('?******? (8 chars)');
  });

  it('masks a secret typed key by key the same way', () => {
    expect(maskFromParts({ first: 'T', last: '3', len: 11, lastKnown: true })).toBe(maskSecret('Tr0ub4dor&3'));
    expect(maskFromParts({ first: 'h', last: '2', len: 7, lastKnown: true })).toBe(maskSecret('hunter2'));
    expect(maskFromParts({ first: 'T', last: '', len: 10, lastKnown: false })).toBe('T********* (10 chars)'); // last unknown: a star
    expect(maskFromParts({ first: '', last: '', len: 0, lastKnown: true })).toBe('(empty)');
  });
});
