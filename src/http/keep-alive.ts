import type { Server } from 'node:http';

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) lets the server close a
 * connection just as a client reuses it: a client that was busy for a few seconds (a script doing
 * work between requests, a loaded machine) still holds the socket as idle-but-usable and gets
 * ECONNRESET on its next request. Past the idle timeouts clients and proxies use (fetch/undici 4 s,
 * most load balancers 60 s), the client closes first and the race is gone.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export function applyKeepAlive(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Must exceed keepAliveTimeout, or a request arriving on a long-idle connection can be cut off.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
}
