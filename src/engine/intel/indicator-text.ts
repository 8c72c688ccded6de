/**
 * Canonical text forms of threat-intelligence indicators, shared by the feed parsers (which
 * normalise what a feed lists) and the detector (which normalises what the traffic shows), so
 * both sides meet on one spelling. Pure functions: no I/O, nothing thrown on bad input.
 */

/** Longest domain name (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text). */
export const MAX_DOMAIN_LENGTH = 253;
/** URLs longer than this are not indicators we index (and request targets are cut before lookup). */
export const MAX_URL_LENGTH = 2048;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A domain as feeds list it → lowercase, without a trailing dot or a leading `*.` (parent
 * matching already covers every subdomain). Null when it is not a usable name: bad labels, too
 * long, or a single label (a bare TLD such as `com` would match half the internet).
 */
export function normalizeDomain(raw: string): string | null {
  let d = raw.trim().toLowerCase();
  if (d.startsWith('*.')) d = d.slice(2);
  else if (d.startsWith('.')) d = d.slice(1);
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > MAX_DOMAIN_LENGTH) return null;
  const labels = d.split('.');
  if (labels.length < 2) return null;
  for (const l of labels) if (!LABEL.test(l)) return null;
  // All-numeric final label: an IPv4 address or garbage, not a domain.
  if (/^\d+$/.test(labels[labels.length - 1])) return null;
  return d;
}

/**
 * A name seen in traffic (DNS query, SNI, Host) → lookup form: lowercase, no trailing dot, no
 * port. No validation beyond length: an odd name simply matches nothing.
 */
export function trafficName(raw: string): string {
  let d = raw.length > MAX_DOMAIN_LENGTH + 1 ? raw.slice(0, MAX_DOMAIN_LENGTH + 1) : raw;
  d = d.toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  return d;
}

/**
 * URL → `host[:port]/path[?query]`: scheme dropped (http and https only, or none), host
 * lowercased, default port (80, or 443 for https) dropped, fragment dropped, empty path = `/`.
 * Null when it is not an http(s) URL with a host.
 */
export function normalizeUrl(raw: string): string | null {
  let s = raw.trim();
  if (s.length === 0 || s.length > MAX_URL_LENGTH) return null;
  let defaultPort = '80';
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(s);
  if (scheme) {
    const sc = scheme[1].toLowerCase();
    if (sc === 'https') defaultPort = '443';
    else if (sc !== 'http') return null;
    s = s.slice(scheme[0].length);
  } else if (s.startsWith('//')) {
    s = s.slice(2);
  }
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  let pathAt = s.search(/[/?]/);
  if (pathAt < 0) pathAt = s.length;
  let authority = s.slice(0, pathAt);
  let rest = s.slice(pathAt);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1); // user:password@ is never part of the match
  const host = hostPort(authority, defaultPort);
  if (host === null) return null;
  if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
  if (/[\s\x00-\x1f\x7f]/.test(rest)) return null;
  return host + rest;
}

/** `Host`-style authority → lowercase host with a non-default port kept; null when unusable. */
export function hostPort(authority: string, defaultPort = '80'): string | null {
  let a = authority.toLowerCase();
  let port = '';
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end < 0) return null;
    port = a.slice(end + 1);
    a = a.slice(0, end + 1);
    if (port !== '' && !port.startsWith(':')) return null;
    port = port.slice(1);
  } else {
    const colon = a.lastIndexOf(':');
    if (colon >= 0) {
      port = a.slice(colon + 1);
      a = a.slice(0, colon);
    }
  }
  if (port !== '' && !/^\d{1,5}$/.test(port)) return null;
  if (a.endsWith('.')) a = a.slice(0, -1);
  if (a.length === 0 || a.length > MAX_DOMAIN_LENGTH + 2 || /[\s/\\?#@\x00-\x1f\x7f]/.test(a)) return null;
  return port === '' || port === defaultPort ? a : `${a}:${port}`;
}
