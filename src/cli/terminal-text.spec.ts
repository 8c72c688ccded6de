import { terminalSafe } from './terminal-text';

describe('terminalSafe', () => {
  it('escapes control characters and bidi overrides from packets', () => {
    expect(terminalSafe('evil\x1b]0;owned\x07name')).toBe('evil\\x1b]0;owned\\x07name');
    expect(terminalSafe('line\r\nbreak\ttab')).toBe('line\\x0d\\x0abreak\\x09tab');
    expect(terminalSafe('abc\u202edcba')).toBe('abc\\u202edcba');
    expect(terminalSafe('\x9bcsi')).toBe('\\x9bcsi');
  });

  it('keeps printable text, including non-ASCII, and bounds the width', () => {
    expect(terminalSafe('bücher.example 10.0.0.1')).toBe('bücher.example 10.0.0.1');
    expect(terminalSafe('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
