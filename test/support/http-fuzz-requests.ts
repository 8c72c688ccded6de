import fc from 'fast-check';
import { DETECTORS } from '../../src/engine/detectors/registry';
import { SEVERITIES } from '../../src/engine/finding';
import { validish, valuesFor } from './json-schema-arbitrary';
import type { Operation, OperationParam } from './openapi-operations';

/**
 * fast-check arbitraries for requests to one OpenAPI operation: path parameters (ids that exist,
 * random uuids, strings of any code point, huge, NUL, `../`), query parameters from the document
 * (values shaped by the parameter's schema and name, and hostile ones: offsets, years and numbers
 * out of range, NaN, repeats, unknown names) and bodies (shaped by what the route reads, any
 * JSON, broken JSON, deep nesting, wrong content types). Two things are never generated, because
 * they would act beyond the test: a feed URL other than a closed loopback port, and a live-capture
 * interface that exists on this host.
 */
export interface FuzzRequest {
  op: string;
  method: string;
  /** Path and query, already encoded. */
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface FuzzContext {
  adminKey: string;
  /**
   * Existing ids per operation (`DELETE /captures/{id}`) or, failing that, per path template
   * (`/captures/{id}`): an operation that destroys is given its own list, never the shared one.
   */
  known: Record<string, string[]>;
  /** A small valid capture, for uploads. */
  capture: Uint8Array;
  /** Interface names that do not exist here (POST /live bodies use only these). */
  absentInterfaces: string[];
  /** Feed URLs on loopback where nothing listens (POST /intel/feeds bodies use only these). */
  loopbackFeedUrls: string[];
}

export const HOSTILE: readonly string[] = [
  '',
  ' ',
  '\0',
  'a\0b',
  '../',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '%',
  '%zz',
  '%00',
  '\u202e',
  '😀',
  'ｆｕｌｌ',
  'a'.repeat(5000),
  "' OR '1'='1",
  '"; DROP TABLE findings; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/x}',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '-0',
  '1e309',
  '1.5',
  '0x10',
  '99999999999999999999999',
  '9007199254740993',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '\r\nX-Injected: 1',
  '\ud800',
  '2024-01-01T00:00:00+16:00',
  '9999-12-31T23:59:59-14:00',
  '999999999999',
  '0000-01-01T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  'fe80::1%eth0',
  '::ffff:1.2.3.4',
  '1.2.3.4/24',
  '7D9F3C2A-4B1E-4C8D-9A6F-0E1D2C3B4A59',
  '7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a5\0',
  '00000000-0000-0000-0000-000000000000',
  'f'.repeat(32),
  'F'.repeat(32),
];

const hostile = fc.constantFrom(...HOSTILE);
const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const text = fc.oneof({ weight: 3, arbitrary: anyText }, { weight: 2, arbitrary: hostile });

/** UTF-8 bytes percent-encoded except the unreserved characters (a lone surrogate becomes U+FFFD). */
export function enc(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Sometimes sent as typed, when the URL parser can take it: `+`, raw `%`, `/` and `..` reach the server unencoded. */
const encodedOrRaw = (s: string, raw: boolean) => (raw && /^[\x21-\x7e]*$/.test(s) && !/[#?]/.test(s) ? s : enc(s));

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** ISO-ish times around every edge the validators have: year, calendar fields, zone offsets. */
const edgyTime = fc.oneof(
  fc
    .record({
      y: fc.oneof(fc.integer({ min: 1969, max: 2030 }), fc.integer({ min: 0, max: 12000 })),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.integer({ min: 0, max: 61 }),
      frac: fc.option(fc.integer({ min: 0, max: 999_999_999 }).map(String)),
      zone: fc.oneof(
        fc.constant('Z'),
        fc.constant(''),
        fc
          .tuple(fc.constantFrom('+', '-', ' '), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 99 }))
          .map(([sign, zh, zm]) => `${sign}${pad(zh, 2)}:${pad(zm, 2)}`),
      ),
      dateOnly: fc.boolean(),
    })
    .map((t) => {
      const date = `${pad(t.y, 4)}-${pad(t.mo, 2)}-${pad(t.d, 2)}`;
      if (t.dateOnly) return date;
      return `${date}T${pad(t.h, 2)}:${pad(t.mi, 2)}:${pad(t.s, 2)}${t.frac ? `.${t.frac}` : ''}${t.zone}`;
    }),
  fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.double()).map(String),
);
const validTime = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const time = fc.oneof({ weight: 3, arbitrary: validTime }, { weight: 1, arbitrary: edgyTime });

const number = fc.oneof(
  fc.integer({ min: -10, max: 1_000_010 }).map(String),
  fc.constantFrom('1', '50', '199', '200', '201', '500', '501', '1000000', '1000001', '999999999', '1000000000'),
);

const severities = fc.subarray([...SEVERITIES], { minLength: 1 }).map((s) => s.join(','));
const detectorIds = fc.subarray(
  DETECTORS.map((d) => d.id),
  { minLength: 1, maxLength: 4 },
);

function shapedQueryValue(p: OperationParam, ctx: FuzzContext): fc.Arbitrary<string> {
  switch (p.name) {
    case 'capture':
      return fc.oneof(fc.constantFrom(...(ctx.known['/captures/{id}'] ?? ['x'])), fc.uuid());
    case 'from':
    case 'to':
      return time;
    case 'host':
    case 'ip':
      return fc.oneof(
        fc.constantFrom('10.0.0.5', '192.168.1.20'),
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV6().map((a) => `${a}%eth0`),
      );
    case 'page':
    case 'limit':
      return fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 200 }).map(String) },
        { weight: 1, arbitrary: number },
      );
    case 'type':
      return fc.oneof(fc.constantFrom('port-scan', 'plaintext-credentials', 'cleartext-http'), anyText);
    case 'severity':
    case 'minSeverity':
      return severities;
    case 'detector':
    case 'detectors':
      return detectorIds.map((d) => d.join(','));
    case 'sort':
      return fc.oneof(
        fc.constantFrom('firstSeen', '-lastSeen', 'bytes', '-bytes', 'count', 'ip', 'sni', 'user'),
        ...(p.schema.enum ? [fc.constantFrom(...p.schema.enum.map(String))] : []),
      );
  }
  if (p.schema.enum) return fc.constantFrom(...p.schema.enum.map(String));
  if (p.schema.type === 'number' || p.schema.type === 'integer') return number;
  if (p.schema.type === 'boolean') return fc.constantFrom('true', 'false', '1', '0', 'yes');
  return anyText;
}

function query(op: Operation, ctx: FuzzContext): fc.Arbitrary<string> {
  const params = op.params.filter((p) => p.in === 'query');
  const known = params.map((p) =>
    fc.tuple(
      fc.constant(p.name),
      fc.oneof({ weight: 3, arbitrary: shapedQueryValue(p, ctx) }, { weight: 1, arbitrary: text }),
    ),
  );
  const unknown = fc.tuple(fc.oneof(anyText, fc.constantFrom('a[b]', 'page[]', '__proto__', 'x')), text);
  const entry =
    known.length > 0
      ? fc.oneof({ weight: 6, arbitrary: fc.oneof(...known) }, { weight: 1, arbitrary: unknown })
      : unknown;
  const entries = fc.array(entry, { maxLength: known.length > 0 ? 6 : 2 });
  const hostileQuery = fc.tuple(entries, fc.boolean(), fc.boolean()).map(([list, repeat, raw]) => {
    const all = repeat && list.length > 0 ? [...list, list[0]] : list;
    return all.map(([k, v]) => `${encodedOrRaw(k, raw)}=${encodedOrRaw(v, raw)}`).join('&');
  });
  // Half the requests carry only well-shaped values, once each, so that they get past the
  // validators into the queries (a value they refuse stops everything after it).
  const shaped = params.map((p) => fc.option(shapedQueryValue(p, ctx), { nil: undefined }).map((v) => [p.name, v]));
  const shapedQuery = fc.tuple(...shaped).map((list) =>
    list
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${enc(k)}=${enc(v)}`)
      .join('&'),
  );
  return fc.oneof(shapedQuery, hostileQuery).map((q) => (q === '' ? '' : `?${q}`));
}

function pathParam(op: Operation, p: OperationParam, ctx: FuzzContext): fc.Arbitrary<[string, boolean]> {
  const known = ctx.known[op.id] ?? ctx.known[op.path] ?? [];
  const value = fc.oneof(
    { weight: known.length > 0 ? 3 : 0, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('') },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) },
    { weight: 2, arbitrary: text },
    { weight: 1, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'nope', 'a'.repeat(65)) },
  );
  return fc.tuple(value, fc.boolean()).map(([v, raw]) => [encodedOrRaw(v, raw && p.in === 'path'), raw]);
}

/**
 * The fields of a JSON route's body with values for each: from the document's schema where it
 * gives one (valuesFor), else from what the route reads (the auth routes' documents have no body
 * schema). The first two fields are the ones each route needs at least.
 */
function jsonFields(op: Operation, ctx: FuzzContext): Record<string, fc.Arbitrary<unknown>> | null {
  if (op.jsonBody?.properties) {
    const props = op.jsonBody.properties;
    const names = [...(op.jsonBody.required ?? []), ...Object.keys(props)].filter((k, i, a) => a.indexOf(k) === i);
    const fields = Object.fromEntries(names.map((k) => [k, valuesFor(props[k])]));
    // What must never be generated, whatever the schema allows (see the comment at the top).
    return { ...fields, ...pinned(op, ctx, fields) };
  }
  switch (op.id) {
    case 'POST /auth/keys':
      return {
        name: fc.oneof(fc.stringMatching(/^[a-z0-9 ._@:-]{1,64}$/), text),
        role: fc.constantFrom('admin', 'read', 'analyst', '', 'ADMIN'),
      };
    case 'POST /auth/token':
      return { apiKey: fc.oneof(fc.constant(ctx.adminKey), text) };
  }
  return null;
}

/**
 * Fields whose values are fixed whatever the schema allows: the confined ones (see the comment at
 * the top), and feed names the refresh and delete routes also use, so those find a feed.
 */
function pinned(op: Operation, ctx: FuzzContext, fields: object): Record<string, fc.Arbitrary<unknown>> {
  const out: Record<string, fc.Arbitrary<unknown>> = {};
  if ('url' in fields) out.url = fc.constantFrom(...ctx.loopbackFeedUrls);
  if ('interface' in fields) out.interface = fc.constantFrom(...ctx.absentInterfaces);
  if (op.path === '/intel/feeds' && 'name' in fields) out.name = fc.constantFrom('fz-a', 'fz-b');
  return out;
}

/** Keeps generated bodies from acting outside the test, whatever the generator made of them. */
function confined(op: Operation, ctx: FuzzContext, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const o = { ...(body as Record<string, unknown>) };
  if (op.id === 'POST /intel/feeds' && 'url' in o && !ctx.loopbackFeedUrls.includes(o.url as string))
    o.url = ctx.loopbackFeedUrls[0];
  if (op.id === 'POST /live' && 'interface' in o && !ctx.absentInterfaces.includes(o.interface as string))
    o.interface = ctx.absentInterfaces[0];
  return o;
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/xml',
  '',
];

function deepNesting(n: number, kind: boolean): string {
  return kind ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

function jsonBody(op: Operation, ctx: FuzzContext): fc.Arbitrary<{ type: string; body?: Uint8Array }> {
  const fields = jsonFields(op, ctx);
  const value = (a: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 5, arbitrary: a }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
  // A confined field keeps its confined value even in the "anything" branch.
  const strict = new Set(['url', 'interface']);
  // The first two fields are what each route needs at least: present in half the bodies, well shaped.
  const required = (f: Record<string, fc.Arbitrary<unknown>>) =>
    fc.record(Object.fromEntries(Object.entries(f).slice(0, 2)));
  const shaped = fields
    ? fc
        .tuple(
          fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, strict.has(k) ? a : value(a)])), {
            requiredKeys: [],
          }),
          fc.option(required(fields), { nil: undefined }),
          fc.option(fc.tuple(anyText, fc.jsonValue({ maxDepth: 1 }))),
        )
        .map(([o, base, extra]) => ({ ...o, ...base, ...(extra ? { [extra[0]]: extra[1] } : {}) }))
    : fc.jsonValue({ maxDepth: 3 });
  // Only the documented required fields, each within its schema: bodies that get past validation.
  const schema = op.jsonBody;
  const minimal = schema?.properties
    ? fc.record({
        ...Object.fromEntries((schema.required ?? []).map((k) => [k, validish(schema.properties![k] ?? {})])),
        ...pinned(op, ctx, Object.fromEntries((schema.required ?? []).map((k) => [k, true]))),
      })
    : shaped;
  const text = fc.oneof(
    { weight: 3, arbitrary: minimal.map((b) => JSON.stringify(confined(op, ctx, b)) ?? 'null') },
    { weight: 6, arbitrary: shaped.map((b) => JSON.stringify(confined(op, ctx, b)) ?? 'null') },
    { weight: 1, arbitrary: fc.jsonValue().map((b) => JSON.stringify(confined(op, ctx, b)) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 60_000 }), fc.boolean()).map(([n, k]) => deepNesting(n, k)),
    },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: fc.constant('') },
  );
  const type = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    { weight: 3, arbitrary: fc.constantFrom(...JSON_TYPES) },
  );
  return fc.tuple(text, type).map(([t, ty]) => ({ type: ty, body: Buffer.from(t, 'utf8') }));
}

function multipart(file: Uint8Array, field: string, boundary: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="x.pcap"\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

function uploadBody(op: Operation, ctx: FuzzContext): fc.Arbitrary<{ type: string; body?: Uint8Array }> {
  const cap = Buffer.from(ctx.capture);
  const bytes = fc.oneof(
    fc.constant(cap),
    fc.integer({ min: 0, max: cap.length }).map((n) => cap.subarray(0, n)),
    fc.tuple(fc.integer({ min: 0, max: cap.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const c = Buffer.from(cap);
      c[i] = b;
      return c;
    }),
    fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
    fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([cap.subarray(0, 24), a])),
    fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), a])),
    fc.constant(Buffer.alloc(0)),
  );
  const types = [...op.bodyTypes, 'application/json', 'text/plain', ''];
  return fc
    .tuple(bytes, fc.constantFrom(...types), fc.constantFrom('file', 'upload', ''), fc.boolean())
    .map(([b, type, field, sameBoundary]) =>
      type === 'multipart/form-data'
        ? { type: `multipart/form-data; boundary=${sameBoundary ? 'fzb' : 'other'}`, body: multipart(b, field, 'fzb') }
        : { type, body: b },
    );
}

function credentials(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const ascii = fc.string({ unit: 'grapheme-ascii', maxLength: 60 });
  return fc.oneof(
    { weight: 18, arbitrary: fc.constant({ 'X-API-Key': ctx.adminKey }) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: ascii.map((k): Record<string, string> => ({ 'X-API-Key': k })) },
    { weight: 1, arbitrary: ascii.map((t): Record<string, string> => ({ Authorization: `Bearer ${t}` })) },
  );
}

export function requestsFor(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const path = fc.tuple(...pathParams.map((p) => pathParam(op, p, ctx))).map((values) => {
    let i = 0;
    return op.path.replace(/\{[^}]+\}/g, () => values[i++][0]);
  });
  const hasBody = op.method === 'POST';
  // POST /captures takes capture bytes; the other POST routes JSON (documented or not).
  const isUpload = op.bodyTypes.some((t) => t !== 'application/json');
  const body = !hasBody ? fc.constant(undefined) : isUpload ? uploadBody(op, ctx) : jsonBody(op, ctx);
  return fc.tuple(path, query(op, ctx), credentials(ctx), body).map(([p, q, auth, b]) => ({
    op: op.id,
    method: op.method,
    url: `${p}${q}`,
    headers: { ...auth, ...(b && b.type !== '' ? { 'Content-Type': b.type } : {}) },
    body: b?.body,
  }));
}
