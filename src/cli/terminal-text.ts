/**
 * Everything printed to a terminal that came from a packet is attacker-controlled: escape control
 * characters (ANSI escape sequences could rewrite the screen or the title) and bound the width.
 */
export function terminalSafe(s: string, max = 200): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
