import { shown } from './finding-text';

describe('shown', () => {
  it('replaces every character outside printable ASCII with "?"', () => {
    expect(shown('a\x1b[31mb\r\n\u00e9\u{1f600}', 100)).toBe('a?[31mb?????');
  });

  it('cuts at max characters and marks the cut with …', () => {
    expect(shown('abcdef', 6)).toBe('abcdef');
    expect(shown('abcdefg', 6)).toBe('abcdef…');
  });
});
