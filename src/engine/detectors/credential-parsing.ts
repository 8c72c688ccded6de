import { formFields, type FormEncoding, type FormField } from '../protocols/http-content';

/**
 * Pure parsers that pull a user name and a secret out of protocol text for the
 * plaintext-credentials detector: login forms (the user and password fields the configuration
 * names, from the fields protocols/http-content.ts reads), SASL PLAIN/LOGIN/XOAUTH2 data, IMAP
 * LOGIN arguments. Every input is attacker controlled: lengths are bounded, nothing throws on bad
 * bytes, and a result is returned only for well-formed input. The secret they return must be
 * masked by the caller at once (it is never stored: see secret-mask.ts).
 */

export interface UserSecret {
  user: string;
  secret: string;
}

/** The last bracketed part of a form field name: "user[password]" → "password", lower-cased. */
function fieldName(name: string): string {
  const n = name.trim().toLowerCase();
  const m = /\[([^\]]*)\]$/.exec(n);
  return m !== null && m[1] !== '' ? m[1] : n;
}

function pick(
  fields: readonly FormField[],
  userFields: readonly string[],
  passwordFields: readonly string[],
): UserSecret | null {
  let user: string | undefined;
  let secret: string | undefined;
  for (const { name, value } of fields) {
    const n = fieldName(name);
    if (secret === undefined && passwordFields.includes(n)) secret = value;
    else if (user === undefined && userFields.includes(n)) user = value;
  }
  if (secret === undefined) return null;
  return { user: user ?? '', secret };
}

/** User name and password from a request body, by content type; null when no password field. */
export function formCredentials(
  contentType: string,
  body: Buffer,
  userFields: readonly string[],
  passwordFields: readonly string[],
): (UserSecret & { encoding: FormEncoding }) | null {
  const form = formFields(contentType, body);
  if (form === null) return null;
  const r = pick(form.fields, userFields, passwordFields);
  return r === null ? null : { ...r, encoding: form.encoding };
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
