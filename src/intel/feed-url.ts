/**
 * Feed URLs and headers carry secrets (API keys in the userinfo or the query string, tokens in
 * headers). The feeds file keeps them as the operator wrote them; everything else — cache
 * metadata, CLI output, API answers, logs, error messages — goes through redactUrl / redactText /
 * shownHeaders here. Secrets can also stay out of the file: `${env:NETWARDEN_FEED_…}` in the url or
 * a header value is replaced at fetch time by that environment variable (never written back, shown
 * as the reference).
 */

/** Query parameters whose value is a secret (name compared lower-cased). */
export const SECRET_PARAMS: readonly string[] = [
  'key',
  'apikey',
  'api_key',
  'api-key',
  'token',
  'access_token',
  'auth',
  'auth_key',
  'authkey',
  'secret',
  'client_secret',
  'password',
  'passwd',
  'pass',
  'pwd',
  'sig',
  'signature',
  'license_key',
  'credential',
  'session',
];
/** …and any parameter whose lower-cased name contains one of these (x-amz-signature, otx_key, …). */
export const SECRET_PARAM_PARTS: readonly string[] = ['key', 'token', 'secret', 'pass', 'auth', 'sig', 'credential'];

export const REDACTED = '***';

/** `${env:NAME}`: NAME must start with NETWARDEN_FEED_ so a feed cannot send any other variable (API_KEY, …) away. */
export const ENV_REF = /\$\{env:([A-Za-z0-9_]*)\}/g;
const ENV_NAME = /^NETWARDEN_FEED_[A-Z0-9_]+$/;
const ONLY_REFS = /^(?:\$\{env:[A-Za-z0-9_]*\})+$/;

export function isSecretParam(name: string): boolean {
  let n = name;
  try {
    n = decodeURIComponent(name);
  } catch {
    // keep the raw name
  }
  n = n.toLowerCase();
  return SECRET_PARAMS.includes(n) || SECRET_PARAM_PARTS.some((p) => n.includes(p));
}

/** A value that is only `${env:…}` references shows no secret (the references are what we show). */
const onlyRefs = (v: string) => ONLY_REFS.test(v) || ONLY_REFS.test(safeDecode(v));

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function redactParams(part: string): string {
  return part
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      return value !== '' && isSecretParam(name) && !onlyRefs(value) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * A URL safe to show: userinfo becomes `***@` (unless it is only `${env:…}` references), the value
 * of every secret-looking query (and fragment) parameter becomes `***`; scheme, host, path and the
 * other parameters stay readable. Works on text that does not parse as a URL too.
 */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (!m) return url.includes('?') ? url.replace(/\?(.*)$/s, (_, q: string) => `?${redactParams(q)}`) : url;
  const [, scheme, authority, path, query, fragment] = m;
  const at = authority.lastIndexOf('@');
  let auth = authority;
  if (at >= 0) {
    const info = authority.slice(0, at);
    // Only references (user and/or password) is safe to show; a literal user name is hidden too.
    const safe = /^:?$/.test(safeDecode(info).replace(/\$\{env:[A-Za-z0-9_]*\}/g, ''));
    auth = `${safe ? info : REDACTED}@${authority.slice(at + 1)}`;
  }
  return `${scheme}${auth}${path}${query ? `?${redactParams(query.slice(1))}` : ''}${fragment ? `#${redactParams(fragment.slice(1))}` : ''}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/**
 * Text safe to show: every URL in it redacted, then every known secret value (and its
 * percent-encoded form) replaced by `***` — an error from fetch or a server's status text may quote
 * them in any shape.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (u) => redactUrl(u));
  const all = new Set<string>();
  for (const s of secrets)
    if (s.length >= 3) {
      all.add(s);
      all.add(encodeURIComponent(s));
    }
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

/** Header values to show: a value that is only `${env:…}` references (after an optional scheme word such as "Bearer") is kept, any other value is `***`. */
export function shownHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = shownHeaderValue(v);
  return out;
}

export function shownHeaderValue(v: string): string {
  return /^(?:[A-Za-z][A-Za-z0-9-]* )?(?:\$\{env:[A-Za-z0-9_]*\})+$/.test(v) ? v : REDACTED;
}

/** Problems with the `${env:…}` references in a url or header value (for validation), or null. */
export function envRefProblem(value: string): string | null {
  const names = [...value.matchAll(ENV_REF)].map((m) => m[1]);
  for (const n of names)
    if (!ENV_NAME.test(n)) return `\${env:${n.slice(0, 64)}}: the variable name must match NETWARDEN_FEED_[A-Z0-9_]+`;
  if (value.replace(ENV_REF, '').includes('${')) return 'a "${" that is not a ${env:NETWARDEN_FEED_NAME} reference';
  return null;
}

export class FeedSecretError extends Error {}

/** Replaces the `${env:NAME}` references; `encode` percent-encodes the values (for a url). */
function resolveRefs(value: string, env: NodeJS.ProcessEnv, secrets: string[], encode: boolean): string {
  return value.replace(ENV_REF, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new FeedSecretError(`environment variable ${name} is not set`);
    if (/[\r\n\0]/.test(v)) throw new FeedSecretError(`environment variable ${name} holds a line break or NUL`);
    secrets.push(v);
    return encode ? encodeURIComponent(v) : v;
  });
}

export interface FeedRequest {
  /** The URL to fetch: references resolved, userinfo removed (sent as Basic auth instead). */
  url: string;
  headers: Record<string, string>;
  /** Every secret value in this request, to scrub from error messages. */
  secrets: string[];
}

/**
 * What to send for a feed, resolved now from the environment. Userinfo becomes an
 * `Authorization: Basic` header (Node's fetch refuses URLs with credentials, and quotes the whole
 * URL in that error) unless the feed's headers give an Authorization of their own.
 */
export function resolveFeedRequest(
  url: string,
  headers: Record<string, string> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): FeedRequest {
  const secrets: string[] = [];
  const resolvedHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const r = resolveRefs(v, env, secrets, false);
    resolvedHeaders[k] = r;
    secrets.push(r, ...r.split(' ').filter((w) => w.length >= 8));
  }
  const u = new URL(resolveRefs(url, env, secrets, true));
  for (const [k, v] of u.searchParams) if (isSecretParam(k) && v !== '') secrets.push(v);
  if (u.username !== '' || u.password !== '') {
    const user = safeDecode(u.username);
    const pass = safeDecode(u.password);
    secrets.push(user, pass, u.username, u.password);
    if (!Object.keys(resolvedHeaders).some((k) => k.toLowerCase() === 'authorization')) {
      const basic = Buffer.from(`${user}:${pass}`).toString('base64');
      secrets.push(basic);
      resolvedHeaders.authorization = `Basic ${basic}`;
    }
    u.username = '';
    u.password = '';
  }
  return { url: u.href, headers: resolvedHeaders, secrets: secrets.filter((s) => s !== '') };
}
