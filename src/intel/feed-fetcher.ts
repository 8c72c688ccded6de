/**
 * One HTTP(S) download of a feed with Node's global fetch: a conditional GET (If-None-Match /
 * If-Modified-Since from the cached copy), a time limit over the whole exchange, and a size cap
 * enforced while the body streams in (Content-Length is not trusted). No shell, no redirects to
 * other schemes (fetch only follows http/https).
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
  let res: Response;
  try {
    res = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    throw new FeedFetchError(describe(err, o.timeoutMs));
  }
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
