/**
 * Feed formats → indicators. Three formats cover the public feeds:
 *
 * - `plain`: one indicator per line; blank lines and lines starting with `#` or `;` are
 *   comments, and so is whatever follows the first whitespace (Spamhaus DROP's
 *   `1.2.3.0/24 ; SBL123`, FireHOL's and ET's `1.2.3.4 # note`). For ip/domain types a `#`/`;`
 *   glued to the value also starts a comment. Hosts-file lines (`0.0.0.0 evil.com`) give the name.
 * - `csv`: one indicator per line in a chosen column (1-based number, or a header name with
 *   `header: true`), `"quoted, fields"` with `""` escapes, `#` comment lines skipped.
 * - `zeek`: the Zeek Intel framework's tab-separated files (`#fields indicator indicator_type
 *   meta.source …`); Intel::ADDR, Intel::SUBNET, Intel::DOMAIN, Intel::URL are used, other types
 *   (hashes, e-mail, …) are skipped and counted.
 *
 * Parsing never throws on content: bad lines are counted and the first few reported with their
 * line numbers. Pure: the text comes in, indicators go out through a callback (so a million-line
 * feed builds no intermediate array).
 */
import { shown } from '../finding-text';
import type { IndicatorKind } from './indicator-index';

export type FeedFormat = 'plain' | 'csv' | 'zeek';
/** `cidr` is an alias of `ip` (both take addresses and CIDRs, IPv4 and IPv6). */
export type FeedType = 'ip' | 'cidr' | 'domain' | 'url';

export const FEED_FORMATS: readonly FeedFormat[] = ['plain', 'csv', 'zeek'];
export const FEED_TYPES: readonly FeedType[] = ['ip', 'cidr', 'domain', 'url'];

export interface FeedFormatSpec {
  format: FeedFormat;
  /** Indicator type of every line (plain, csv). Zeek files name the type per line. */
  type?: FeedType;
  /** csv: 1-based column number, or a header name (needs `header: true`). Default 1. */
  column?: number | string;
  /** csv: the first non-comment line is a header. */
  header?: boolean;
  /** csv: field delimiter (one character). Default `,`. */
  delimiter?: string;
}

export interface FeedLineError {
  line: number;
  reason: string;
  /** The offending text, shortened and with control characters replaced. */
  text: string;
}

export interface FeedParseReport {
  /** Lines read (comments and blanks included). */
  lines: number;
  /** Indicators accepted by the sink. */
  indicators: number;
  /** Lines that should have held an indicator but did not (or that the sink refused). */
  bad: number;
  /** Lines deliberately passed over (Zeek indicator types we do not match). */
  skipped: number;
  /** The first `MAX_REPORTED_ERRORS` bad lines. */
  errors: FeedLineError[];
  /** A problem with the file as a whole (e.g. a CSV header without the named column). */
  fatal?: string;
}

/** Bad lines reported individually; the rest are only counted. */
export const MAX_REPORTED_ERRORS = 20;
const MAX_SHOWN = 80;

/** Receives one indicator; returns null when accepted or the reason it was refused. */
export type IndicatorSink = (kind: IndicatorKind, value: string) => string | null;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 13 || c === 0xa0;
}

function kindOf(type: FeedType): IndicatorKind {
  return type === 'cidr' ? 'ip' : type;
}

const ZEEK_TYPES: Record<string, IndicatorKind> = {
  'Intel::ADDR': 'ip',
  'Intel::SUBNET': 'ip',
  'Intel::DOMAIN': 'domain',
  'Intel::URL': 'url',
};

/** Splits one CSV line (RFC 4180 quoting, within the line). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          field += line.slice(i);
          i = n;
          break;
        }
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the delimiter is kept, as most readers do.
      const d = line.indexOf(delimiter, i);
      field += d < 0 ? line.slice(i) : line.slice(i, d);
      i = d < 0 ? n + 1 : d + 1;
    } else {
      const d = line.indexOf(delimiter, i);
      field = d < 0 ? line.slice(i) : line.slice(i, d);
      i = d < 0 ? n + 1 : d + 1;
    }
    out.push(field);
    if (i > n) break;
  }
  return out;
}

export function parseFeed(text: string, spec: FeedFormatSpec, sink: IndicatorSink): FeedParseReport {
  const report: FeedParseReport = { lines: 0, indicators: 0, bad: 0, skipped: 0, errors: [] };
  const bad = (line: number, reason: string, t: string) => {
    report.bad++;
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, reason, text: shown(t, MAX_SHOWN) });
  };
  const take = (lineNo: number, kind: IndicatorKind, value: string, raw: string) => {
    const why = sink(kind, value);
    if (why === null) report.indicators++;
    else bad(lineNo, why, raw);
  };

  const type = spec.type;
  if (spec.format !== 'zeek' && type === undefined) {
    report.fatal = `format ${spec.format} needs an indicator type`;
    return report;
  }
  const delimiter = spec.delimiter ?? ',';
  let column = typeof spec.column === 'number' ? spec.column - 1 : 0;
  let wantHeader = spec.format === 'csv' && spec.header === true;
  if (spec.format === 'csv' && typeof spec.column === 'string' && !wantHeader) {
    report.fatal = 'a column named by header needs header: true';
    return report;
  }
  // Zeek: column positions from #fields (defaults: indicator, indicator_type).
  let zIndicator = 0;
  let zType = 1;
  let zSeparator = '\t';

  let pos = 0;
  let lineNo = 0;
  if (text.charCodeAt(0) === 0xfeff) pos = 1; // byte-order mark
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (nl === text.length && line === '') break;
    lineNo++;
    report.lines++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === '') continue;

    if (spec.format === 'plain') {
      const c = trimmed[0];
      if (c === '#' || c === ';') continue;
      let end = 0;
      while (end < trimmed.length && !isSpace(trimmed.charCodeAt(end))) end++;
      let value = end === trimmed.length ? trimmed : trimmed.slice(0, end);
      if (type === 'domain' && end < trimmed.length && /^(0\.0\.0\.0|127\.0\.0\.1|::1?)$/.test(value))
        value = trimmed.slice(end).trim().split(/\s+/, 1)[0];
      if (type !== 'url') {
        const hash = value.indexOf('#');
        const semi = value.indexOf(';');
        const cut = hash < 0 ? semi : semi < 0 ? hash : Math.min(hash, semi);
        if (cut >= 0) value = value.slice(0, cut);
      }
      if (value === '') continue;
      take(lineNo, kindOf(type!), value, line);
    } else if (spec.format === 'csv') {
      if (trimmed[0] === '#') continue;
      const fields = splitCsvLine(line, delimiter);
      if (wantHeader) {
        wantHeader = false;
        if (typeof spec.column === 'string') {
          const want = spec.column.toLowerCase();
          const at = fields.findIndex((f) => f.trim().toLowerCase() === want);
          if (at < 0) {
            report.fatal = `CSV header has no column "${shown(spec.column, 40)}"`;
            return report;
          }
          column = at;
        }
        continue;
      }
      if (column >= fields.length) {
        bad(lineNo, `no column ${column + 1}`, line);
        continue;
      }
      const value = fields[column].trim();
      if (value === '') {
        bad(lineNo, 'empty field', line);
        continue;
      }
      take(lineNo, kindOf(type!), value, line);
    } else {
      if (line.startsWith('#')) {
        if (line.startsWith('#separator')) {
          const sep = line.slice('#separator'.length).trim();
          // Zeek writes the separator escaped: "\x09".
          zSeparator =
            sep.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) || '\t';
        } else if (line.startsWith('#fields')) {
          const names = line.split(zSeparator).slice(1);
          const i = names.indexOf('indicator');
          const t = names.indexOf('indicator_type');
          if (i < 0 || t < 0) {
            report.fatal = '#fields lacks indicator or indicator_type';
            return report;
          }
          zIndicator = i;
          zType = t;
        }
        continue;
      }
      const fields = line.split(zSeparator);
      const value = (fields[zIndicator] ?? '').trim();
      const zt = (fields[zType] ?? '').trim();
      if (value === '' || value === '-' || zt === '') {
        bad(lineNo, 'missing indicator or indicator_type', line);
        continue;
      }
      const kind = ZEEK_TYPES[zt];
      if (kind === undefined) {
        if (/^Intel::[A-Z_]+$/.test(zt)) report.skipped++;
        else bad(lineNo, `unknown indicator_type ${shown(zt, 30)}`, line);
        continue;
      }
      take(lineNo, kind, value, line);
    }
  }
  return report;
}
