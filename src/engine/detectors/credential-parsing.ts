/**
 * Pure parsers that pull a user name and a secret out of protocol text for the
 * plaintext-credentials detector: HTTP Authorization values, form bodies (urlencoded, multipart,
 * JSON), SASL PLAIN/LOGIN/XOAUTH2 data, IMAP LOGIN arguments. Every input is attacker
 * controlled: lengths are bounded, nothing throws on bad bytes, and a result is returned only
 * for well-formed input. The secret they return must be masked by the caller at once (it is
 * never stored: see secret-mask.ts).
 */

export interface UserSecret {
  user: string;
  secret: string;
}

/** Longest base64 token decoded (SASL responses, Basic credentials); longer is not a login. */
const MAX_B64 = 8192;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict base64 → UTF-8 text, or null when `s` is not base64 (or too long). */
export function decodeBase64(s: string): string | null {
  const t = s.trim();
  if (t.length === 0 || t.length > MAX_B64 || t.length % 4 === 1 || !B64.test(t)) return null;
  return Buffer.from(t, 'base64').toString('utf8');
}

/** A parsed Authorization / Proxy-Authorization value. */
export interface HttpAuth {
  /** Scheme as sent, bounded and printable (e.g. "Basic", "Bearer"). */
  scheme: string;
  /** Lower-cased scheme. */
  kind: string;
  /** User name (Basic only; '' otherwise). */
  user: string;
  secret: string;
}

/**
 * Schemes whose value carries no reusable clear secret: challenge-response (Digest, NTLM,
 * Negotiate/Kerberos, SCRAM, HOBA, Mutual) — the password never travels. Everything else
 * (Basic, Bearer, tokens of unknown schemes) is a secret anyone on the path can replay.
 */
const NON_SECRET_SCHEMES = new Set([
  'digest',
  'ntlm',
  'negotiate',
  'kerberos',
  'scram-sha-1',
  'scram-sha-256',
  'hoba',
  'mutual',
]);

export function parseAuthorization(value: string): HttpAuth | null {
  const v = value.trim();
  const sp = v.indexOf(' ');
  const scheme = sp < 0 ? v : v.slice(0, sp);
  const rest = sp < 0 ? '' : v.slice(sp + 1).trim();
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/.test(scheme)) return null;
  const kind = scheme.toLowerCase();
  if (NON_SECRET_SCHEMES.has(kind) || rest.length === 0) return null;
  if (kind === 'basic') {
    const decoded = decodeBase64(rest);
    if (decoded === null) return { scheme, kind, user: '', secret: rest };
    const colon = decoded.indexOf(':');
    if (colon < 0) return { scheme, kind, user: '', secret: decoded };
    return { scheme, kind, user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return { scheme, kind, user: '', secret: rest };
}

/** The last bracketed part of a form field name: "user[password]" → "password", lower-cased. */
function fieldName(name: string): string {
  const n = name.trim().toLowerCase();
  const m = /\[([^\]]*)\]$/.exec(n);
  return m !== null && m[1] !== '' ? m[1] : n;
}

function pick(
  fields: Array<[string, string]>,
  userFields: readonly string[],
  passwordFields: readonly string[],
): UserSecret | null {
  let user: string | undefined;
  let secret: string | undefined;
  for (const [name, value] of fields) {
    const n = fieldName(name);
    if (secret === undefined && passwordFields.includes(n)) secret = value;
    else if (user === undefined && userFields.includes(n)) user = value;
  }
  if (secret === undefined) return null;
  return { user: user ?? '', secret };
}

function urlDecode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus; // malformed %-escape: keep the text as sent
  }
}

const MAX_FIELDS = 256;

/** application/x-www-form-urlencoded pairs (bounded count). */
export function urlencodedFields(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of text.split('&', MAX_FIELDS)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq < 0 ? [urlDecode(part), ''] : [urlDecode(part.slice(0, eq)), urlDecode(part.slice(eq + 1))]);
  }
  return out;
}

/** multipart/form-data parts that are plain fields (no filename), as [name, value]. */
export function multipartFields(body: Buffer, boundary: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (boundary.length === 0 || boundary.length > 200) return out;
  const text = body.toString('latin1');
  const delim = `--${boundary}`;
  const parts = text.split(delim, MAX_FIELDS + 1);
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('--')) break; // closing delimiter
    const headEnd = p.indexOf('\r\n\r\n');
    const sepLen = headEnd < 0 ? 2 : 4;
    const he = headEnd < 0 ? p.indexOf('\n\n') : headEnd;
    if (he < 0) continue;
    const head = p.slice(0, he);
    const disp = /content-disposition:[^\r\n]*/i.exec(head);
    if (disp === null || /filename\*?=/i.test(disp[0])) continue;
    const name = /\bname="([^"]*)"|\bname=([^;\s]+)/i.exec(disp[0]);
    if (name === null) continue;
    let value = p.slice(he + sepLen);
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    else if (value.endsWith('\n')) value = value.slice(0, -1);
    // Bytes were read as latin1 to keep offsets; values are UTF-8 text.
    out.push([
      Buffer.from(name[1] ?? name[2], 'latin1').toString('utf8'),
      Buffer.from(value, 'latin1').toString('utf8'),
    ]);
  }
  return out;
}

/** Top-level string members of a JSON object body. */
function jsonFields(body: Buffer): Array<[string, string]> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  const out: Array<[string, string]> = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') out.push([k, x]);
    if (out.length >= MAX_FIELDS) break;
  }
  return out;
}

export type FormEncoding = 'urlencoded' | 'multipart' | 'json';

/** User name and password from a request body, by content type; null when no password field. */
export function formCredentials(
  contentType: string,
  body: Buffer,
  userFields: readonly string[],
  passwordFields: readonly string[],
): (UserSecret & { encoding: FormEncoding }) | null {
  const ct = contentType.toLowerCase();
  let fields: Array<[string, string]>;
  let encoding: FormEncoding;
  if (ct.startsWith('application/x-www-form-urlencoded')) {
    fields = urlencodedFields(body.toString('latin1'));
    encoding = 'urlencoded';
  } else if (ct.startsWith('multipart/form-data')) {
    const m = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
    if (m === null) return null;
    fields = multipartFields(body, m[1] ?? m[2]);
    encoding = 'multipart';
  } else if (/^application\/(?:[\w.+-]*\+)?json/.test(ct)) {
    fields = jsonFields(body);
    encoding = 'json';
  } else return null;
  const r = pick(fields, userFields, passwordFields);
  return r === null ? null : { ...r, encoding };
}

/**
 * IMAP astrings (RFC 9051 §9: atom, quoted string with \" and \\ escapes, literal) from a
 * command argument. A literal's marker ({n} or {n+}) takes the next of `literals` (the contents
 * the parser kept); null when one is missing.
 */
export function imapStrings(arg: string, n: number, literals: readonly string[] = []): string[] | null {
  const out: string[] = [];
  let lit = 0;
  let i = 0;
  while (out.length < n) {
    while (arg[i] === ' ') i++;
    if (i >= arg.length) return null;
    if (arg[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= arg.length) return null;
        const c = arg[i];
        if (c === '\\' && i + 1 < arg.length) {
          s += arg[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          s += c;
          i++;
        }
      }
      out.push(s);
    } else if (arg[i] === '{') {
      const m = /^\{\d{1,12}\+?\}/.exec(arg.slice(i));
      if (m === null || lit >= literals.length) return null;
      out.push(literals[lit++]);
      i += m[0].length;
    } else {
      const sp = arg.indexOf(' ', i);
      const end = sp < 0 ? arg.length : sp;
      out.push(arg.slice(i, end));
      i = end;
    }
  }
  return out;
}

/** SASL PLAIN message (RFC 4616): [authzid] NUL authcid NUL passwd. */
export function saslPlain(decoded: string): UserSecret | null {
  const parts = decoded.split('\0');
  if (parts.length !== 3) return null;
  return { user: parts[1] !== '' ? parts[1] : parts[0], secret: parts[2] };
}

/** Google/Microsoft XOAUTH2: "user=" u ^A "auth=Bearer " token ^A ^A. */
export function saslXoauth2(decoded: string): UserSecret | null {
  let user = '';
  let secret: string | undefined;
  for (const kv of decoded.split('\x01')) {
    if (kv.startsWith('user=')) user = kv.slice(5);
    else if (kv.startsWith('auth=')) secret = kv.slice(5).replace(/^bearer\s+/i, '');
  }
  return secret === undefined ? null : { user, secret };
}
