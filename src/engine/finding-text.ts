/**
 * Packet- or feed-derived (attacker-controlled) text as it may stand in a finding, a title or a
 * report: printable ASCII only (any other character becomes '?', so it is data, never terminal
 * control or markup) and at most `max` characters, with '…' after a cut.
 */
export function shown(s: string, max: number): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
