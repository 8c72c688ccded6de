import type { CaptureAnalysis } from '../engine/analyze-capture';
import type { Finding, HostRef } from '../engine/finding';
import { terminalSafe } from './terminal-text';
import { textTable } from './text-table';

function host(h?: HostRef): string {
  if (!h) return '';
  const addr = h.ip ?? h.mac ?? '';
  return h.port !== undefined ? (addr.includes(':') && h.ip ? `[${addr}]:${h.port}` : `${addr}:${h.port}`) : addr;
}

export function findingRow(f: Finding): string[] {
  const route = [host(f.src), host(f.dst)].filter(Boolean).join(' → ');
  return [
    f.severity.toUpperCase(),
    f.detector,
    String(f.count),
    f.firstSeen.slice(0, 19).replace('T', ' '),
    terminalSafe(route, 60),
    terminalSafe(f.title, 100),
  ];
}

/** The human-readable report of `netwarden analyze` (default output). */
export function renderAnalysis(a: CaptureAnalysis): string {
  const lines: string[] = [];
  const span = a.firstSeen && a.lastSeen ? `, ${a.firstSeen} … ${a.lastSeen}` : '';
  lines.push(
    `${terminalSafe(a.file)}: ${a.packets} packets, ${a.bytes} bytes${span}, link types ${a.linkTypes.join(', ') || '-'}`,
  );
  for (const e of a.errors) lines.push(`  error: ${terminalSafe(e.message, 300)}`);
  if (a.findings.length === 0) {
    lines.push('  no findings');
  } else {
    const rows = [
      ['SEVERITY', 'DETECTOR', 'COUNT', 'FIRST SEEN (UTC)', 'HOSTS', 'TITLE'],
      ...a.findings.map(findingRow),
    ];
    lines.push(
      textTable(rows)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  return lines.join('\n');
}
