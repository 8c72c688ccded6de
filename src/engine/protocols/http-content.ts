import { brotliDecompressSync, constants as zc, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { HttpHeader } from '../events';

/**
 * What HTTP messages carry, read for whoever subscribes to HTTP events: header lookup, request
 * target path and query, content-coding removal (gzip/deflate/br) with a decompression-bomb
 * guard, form fields (urlencoded, multipart, JSON), the password input of an HTML login form,
 * and Authorization values (scheme, credentials, Basic user/password).
 *
 * Every input is attacker controlled: lengths and counts are bounded, nothing throws on bad
 * bytes. Values returned here (form values, Authorization credentials) may be secrets: they go
 * to the caller only, which masks them at once or keeps names only; nothing here stores them.
 */

// ---- headers and request targets ------------------------------------------------------------

/** First value of a header; `name` in lower case. */
export function headerValue(headers: readonly HttpHeader[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i++) if (headers[i].name.toLowerCase() === name) return headers[i].value;
  return undefined;
}

/** Path of a request target or Location value: scheme and authority removed, query and fragment cut (they can hold secrets). */
export function targetPath(target: string): string {
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const t = abs === null ? target : target.slice(abs[0].length);
  const q = t.search(/[?#]/);
  const path = q < 0 ? t : t.slice(0, q);
  return abs !== null && path === '' ? '/' : path; // an absolute URI's empty path is "/"
}

/** Query string of a request target, without `?` and fragment ('' when none). */
export function targetQuery(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return '';
  const h = target.indexOf('#', q);
  return h < 0 ? target.slice(q + 1) : target.slice(q + 1, h);
}

// ---- content coding -------------------------------------------------------------------------

/** 12 halvings take a 64 KiB prefix down to 32 bytes. */
const DECODE_TRIES = 12;

function tooLarge(err: unknown): boolean {
  return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * A body (prefix) with its Content-Encoding removed, inflated to at most `maxOutput` bytes; the
 * body itself for no coding or identity; null when the coding is unknown or the bytes do not
 * decode. A truncated stream gives what it holds (sync flush). A prefix that inflates past the
 * bound is retried at half the length (node's sync inflate keeps no partial output): a page's
 * start is what counts. At most DECODE_TRIES inflations, each bounded by `maxOutput`, so a
 * decompression bomb costs a few MB of inflating, never the memory.
 */
export function decodeContent(body: Buffer, contentEncoding: string | undefined, maxOutput: number): Buffer | null {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  const opts = { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: maxOutput };
  let input = body;
  for (let tries = 0; tries < DECODE_TRIES && input.length > 0; tries++) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(input, opts);
      if (coding === 'deflate') {
        try {
          return inflateSync(input, opts);
        } catch (err) {
          if (tooLarge(err)) throw err;
          return inflateRawSync(input, opts); // servers that send raw deflate without the zlib header
        }
      }
      if (coding === 'br')
        return brotliDecompressSync(input, { finishFlush: zc.BROTLI_OPERATION_FLUSH, maxOutputLength: maxOutput });
      return null;
    } catch (err) {
      if (!tooLarge(err)) return null;
      input = input.subarray(0, input.length >> 1);
    }
  }
  return null;
}

// ---- HTML login forms -----------------------------------------------------------------------

/** Longest `<input …>` tag read. */
const MAX_TAG = 1024;

/**
 * Does this HTML hold an `<input type=password>`? One pass: each `<input` tag is read up to
 * its `>` or the next `<` (at most MAX_TAG characters), so the scanned spans never overlap.
 */
export function hasPasswordInput(html: string): boolean {
  const s = html.toLowerCase();
  const n = s.length;
  let i = s.indexOf('<input');
  let gt = -1;
  while (i >= 0) {
    if (gt !== n && gt < i) {
      gt = s.indexOf('>', i);
      if (gt < 0) gt = n;
    }
    let lt = s.indexOf('<', i + 1);
    if (lt < 0) lt = n;
    const end = Math.min(gt, lt, i + MAX_TAG);
    if (/\stype\s*=\s*["']?password\b/.test(s.slice(i + 6, end))) return true;
    i = lt < n ? s.indexOf('<input', lt) : -1;
  }
  return false;
}

/**
 * Is this response an HTML page (body prefix, content coding removed within `maxDecoded`)
 * holding a password input — a login form served?
 */
export function servesPasswordForm(headers: readonly HttpHeader[], body: Buffer, maxDecoded: number): boolean {
  if (body.length === 0 || !/html/i.test(headerValue(headers, 'content-type') ?? '')) return false;
  const page = decodeContent(body, headerValue(headers, 'content-encoding'), maxDecoded);
  return page !== null && hasPasswordInput(page.toString('latin1'));
}

// ---- form fields ----------------------------------------------------------------------------

/** One form field. `value` may be a secret: the caller masks it or keeps the name only. */
export interface FormField {
  name: string;
  value: string;
}

export type FormEncoding = 'urlencoded' | 'multipart' | 'json';

/** Fields read from one body or query string. */
const MAX_FIELDS = 256;
/** Longest field name read (urlencoded and multipart; JSON keys: 64). */
const MAX_FIELD_NAME = 256;

function urlDecode(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus; // malformed %-escape: keep the text as sent
  }
}

/** application/x-www-form-urlencoded fields (also a query string), + and %-escapes decoded; a name without `=` has value ''. */
export function urlencodedFields(text: string): FormField[] {
  const out: FormField[] = [];
  let pos = 0;
  while (pos < text.length && out.length < MAX_FIELDS) {
    let amp = text.indexOf('&', pos);
    if (amp < 0) amp = text.length;
    if (amp > pos) {
      let eq = text.indexOf('=', pos);
      if (eq < 0 || eq > amp) eq = amp;
      out.push({
        name: urlDecode(text.slice(pos, Math.min(eq, pos + MAX_FIELD_NAME))),
        value: eq < amp ? urlDecode(text.slice(eq + 1, amp)) : '',
      });
    }
    pos = amp + 1;
  }
  return out;
}

/** multipart/form-data parts that are plain fields (no filename), up to the closing delimiter. */
export function multipartFields(body: Buffer, boundary: string): FormField[] {
  const out: FormField[] = [];
  if (boundary.length === 0 || boundary.length > 200) return out;
  const text = body.toString('latin1');
  const parts = text.split(`--${boundary}`, MAX_FIELDS + 1);
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('--')) break; // closing delimiter
    const crlf = p.indexOf('\r\n\r\n');
    const he = crlf < 0 ? p.indexOf('\n\n') : crlf;
    if (he < 0) continue;
    const disp = /content-disposition:[^\r\n]*/i.exec(p.slice(0, he));
    if (disp === null || /filename\*?=/i.test(disp[0])) continue;
    const name = /\bname="([^"]*)"|\bname=([^;\s]+)/i.exec(disp[0]);
    if (name === null) continue;
    let value = p.slice(he + (crlf < 0 ? 2 : 4));
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    else if (value.endsWith('\n')) value = value.slice(0, -1);
    // Bytes were read as latin1 to keep offsets; names and values are UTF-8 text.
    out.push({
      name: Buffer.from((name[1] ?? name[2]).slice(0, MAX_FIELD_NAME), 'latin1').toString('utf8'),
      value: Buffer.from(value, 'latin1').toString('utf8'),
    });
  }
  return out;
}

/**
 * String members of a JSON body (prefix) at any depth, in order — `"key": "value"` — so a body
 * cut by the parser's bound still gives its leading fields, and `{"user":{"password":…}}` is
 * seen. Keys are 1-64 characters without escapes; values are unescaped (kept as sent when the
 * escapes are bad). Numbers, booleans and other non-string values are not fields here.
 */
export function jsonFields(text: string): FormField[] {
  const out: FormField[] = [];
  const re = /"([^"\\\r\n]{1,64})"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && out.length < MAX_FIELDS) {
    let value = m[2];
    if (value.includes('\\')) {
      try {
        value = JSON.parse(`"${value}"`) as string;
      } catch {
        // bad escape or raw control character: keep as sent
      }
    }
    out.push({ name: m[1], value });
  }
  return out;
}

/** Form fields of a request body by its Content-Type; null when the type is not a form (or multipart without boundary). */
export function formFields(contentType: string, body: Buffer): { encoding: FormEncoding; fields: FormField[] } | null {
  const ct = contentType.trim().toLowerCase();
  if (ct.startsWith('application/x-www-form-urlencoded'))
    return { encoding: 'urlencoded', fields: urlencodedFields(body.toString('latin1')) };
  if (ct.startsWith('multipart/form-data')) {
    const m = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
    return m === null ? null : { encoding: 'multipart', fields: multipartFields(body, m[1] ?? m[2]) };
  }
  if (/^application\/(?:[\w.+-]*\+)?json/.test(ct))
    return { encoding: 'json', fields: jsonFields(body.toString('utf8')) };
  return null;
}

// ---- Authorization --------------------------------------------------------------------------

/** Longest base64 token decoded (Basic credentials, SASL responses); longer is not a login. */
const MAX_B64 = 8192;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict base64 → UTF-8 text, or null when `s` is not base64 (or too long). */
export function decodeBase64(s: string): string | null {
  const t = s.trim();
  if (t.length === 0 || t.length > MAX_B64 || t.length % 4 === 1 || !B64.test(t)) return null;
  return Buffer.from(t, 'base64').toString('utf8');
}

/** An Authorization / Proxy-Authorization value split: scheme token (RFC 9110 token, ≤ 32) and the rest. */
export interface AuthorizationParts {
  /** As sent. */
  scheme: string;
  /** Trimmed; '' when the value is the scheme alone. */
  credentials: string;
}

const AUTH_SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;

export function splitAuthorization(value: string): AuthorizationParts | null {
  const v = value.trim();
  const sp = v.search(/[ \t]/);
  const scheme = sp < 0 ? v : v.slice(0, sp);
  if (!AUTH_SCHEME.test(scheme)) return null;
  return { scheme, credentials: sp < 0 ? '' : v.slice(sp + 1).trim() };
}

/** Registered HTTP authentication schemes (IANA registry) and common ones, lowercased. */
const KNOWN_SCHEMES = new Set([
  'basic',
  'bearer',
  'digest',
  'negotiate',
  'ntlm',
  'hoba',
  'mutual',
  'scram-sha-1',
  'scram-sha-256',
  'vapid',
  'concealed',
  'dpop',
  'gnap',
  'privatetoken',
  'aws4-hmac-sha256',
  'oauth',
  'token',
]);

/**
 * The scheme word of an Authorization value — never the credentials. A registered scheme is
 * named as sent; an unknown one only when it looks like a scheme word (letters, dashes) followed
 * by credentials, since a raw API key sent alone ("Authorization: sk_live_...") is itself the
 * secret. Anything else is 'unrecognised'.
 */
export function authScheme(value: string): string {
  const a = splitAuthorization(value);
  if (a === null) return 'unrecognised';
  if (KNOWN_SCHEMES.has(a.scheme.toLowerCase())) return a.scheme;
  return a.credentials !== '' && /^[A-Za-z][A-Za-z-]{0,19}$/.test(a.scheme) ? a.scheme : 'unrecognised';
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

/** The replayable secret of an Authorization value. */
export interface HttpAuth {
  /** Scheme as sent, bounded and printable (e.g. "Basic", "Bearer"). */
  scheme: string;
  /** Lower-cased scheme. */
  kind: string;
  /** User name (Basic only; '' otherwise). */
  user: string;
  /** Basic: the password (the whole value when it is not base64 user:password); others: the credentials. */
  secret: string;
}

/** User and secret of an Authorization value; null for challenge-response schemes, a scheme alone or a malformed value. */
export function parseAuthorization(value: string): HttpAuth | null {
  const a = splitAuthorization(value);
  if (a === null || a.credentials === '') return null;
  const { scheme, credentials } = a;
  const kind = scheme.toLowerCase();
  if (NON_SECRET_SCHEMES.has(kind)) return null;
  if (kind === 'basic') {
    const decoded = decodeBase64(credentials);
    if (decoded === null) return { scheme, kind, user: '', secret: credentials };
    const colon = decoded.indexOf(':');
    if (colon < 0) return { scheme, kind, user: '', secret: decoded };
    return { scheme, kind, user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return { scheme, kind, user: '', secret: credentials };
}
