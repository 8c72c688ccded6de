import type { RequestHandler } from 'express';

/**
 * `Cache-Control: no-store` on every answer: they hold findings, masked credentials and, from
 * POST /auth/keys, a new key, none of which a browser or proxy cache should keep. Set before the
 * handler runs, so a route that wants caching (static dashboard files, later) sets its own.
 */
export function noStore(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
