import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';

/**
 * Listen on an ephemeral loopback port for a suite that runs the API in its own process.
 *
 * Such a suite also blocks that process (tshark through execFileSync, a summary computed between
 * requests): on a busy machine for longer than Node's 5 s keep-alive timeout, whose timer then
 * fires right as fetch reuses the idle socket for the next request — ECONNRESET (issue 14). The
 * test server keeps idle sockets for two minutes; fetch's own 4 s idle timer closes them first.
 */
export async function listenForTests(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  return app.getUrl();
}
