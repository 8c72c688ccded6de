/**
 * Rows of cells as aligned text columns two spaces apart (the first row is the header): every
 * column but the last is padded to its widest cell, trailing spaces trimmed. Cells must already
 * be terminal-safe (see terminal-text.ts).
 */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
