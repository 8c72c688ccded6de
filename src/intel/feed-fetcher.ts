/**
 * One HTTP(S) download of a feed with Node's global fetch: a conditional GET (If-None-Match /
 * If-Modified-Since from the cached copy), a time limit over the whole exchange, and a size cap
 * enforced while the body streams in (Content-Length is not trusted). No shell; redirects are
 * followed by hand (http/https only, at most 5) so the feed's own headers never leave its origin.
 */
export type FetchOutcome =
  { kind: 'not-modified' } | { kind: 'body'; body: Buffer; etag?: string; lastModified?: string };

export class FeedFetchError extends Error {}

export interface FetchOptions {
  etag?: string;
  lastModified?: string;
  maxBytes: number;
  timeoutMs: number;
}

/**
 * `url` must carry no userinfo and `extraHeaders` are the feed's resolved headers (see
 * resolveFeedRequest). Error messages may quote the URL or a header: the caller redacts them.
 */
export async function fetchFeed(
  url: string,
  o: FetchOptions,
  extraHeaders: Record<string, string> = {},
): Promise<FetchOutcome> {
  const headers: Record<string, string> = {
    'user-agent': 'netwarden-intel',
    accept: 'text/plain, text/csv, */*',
    ...extraHeaders,
  };
  if (o.etag) headers['if-none-match'] = o.etag;
  if (o.lastModified) headers['if-modified-since'] = o.lastModified;
  const signal = AbortSignal.timeout(o.timeoutMs);
  const res = await fetchFollowing(url, headers, Object.keys(extraHeaders), signal, o.timeoutMs);
  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'not-modified' };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedFetchError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > o.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedFetchError(`answer of ${declared} bytes is larger than maxBytes (${o.maxBytes})`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > o.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new FeedFetchError(`answer is larger than maxBytes (${o.maxBytes})`);
        }
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    }
  } catch (err) {
    if (err instanceof FeedFetchError) throw err;
    throw new FeedFetchError(describe(err, o.timeoutMs));
  }
  const etag = res.headers.get('etag') ?? undefined;
  const lastModified = res.headers.get('last-modified') ?? undefined;
  return {
    kind: 'body',
    body: Buffer.concat(chunks, total),
    ...(etag ? { etag: etag.slice(0, 200) } : {}),
    ...(lastModified ? { lastModified: lastModified.slice(0, 100) } : {}),
  };
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs / 1000} s`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  // Not cut here: the caller redacts first (a cut could split a secret it would otherwise find), then cuts.
  return `${e?.message ?? String(err)}${cause ? ` (${String(cause)})` : ''}`;
}

const MAX_REDIRECTS = 5;

/**
 * Redirects are followed here rather than by fetch: fetch drops `Authorization` on a cross-origin
 * redirect but keeps any other header, so a feed's secret in a custom header (`Auth-Key: ...`)
 * would be sent to whatever host the feed server redirects to. The feed's own headers go only to
 * the feed's origin; only http(s) targets are followed.
 */
async function fetchFollowing(
  url: string,
  headers: Record<string, string>,
  feedHeaderNames: string[],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Response> {
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    const sameOrigin = new URL(current).origin === origin;
    const sent = sameOrigin ? headers : withoutKeys(headers, feedHeaderNames);
    let res: Response;
    try {
      res = await fetch(current, { headers: sent, signal, redirect: 'manual' });
    } catch (err) {
      throw new FeedFetchError(describe(err, timeoutMs));
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || res.status === 304 || location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new FeedFetchError(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new FeedFetchError(`redirect to a ${next.protocol} URL refused`);
    }
    current = next.href;
  }
}

function withoutKeys(h: Record<string, string>, drop: string[]): Record<string, string> {
  const lower = new Set(drop.map((k) => k.toLowerCase()));
  return Object.fromEntries(Object.entries(h).filter(([k]) => !lower.has(k.toLowerCase())));
}
