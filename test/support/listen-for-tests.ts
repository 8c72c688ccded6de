import type { INestApplication } from '@nestjs/common';
import { applyKeepAlive } from '../../src/http/keep-alive';

/**
 * Listen on an ephemeral loopback port for a suite that runs the API in its own process, with the
 * keep-alive timeout the API's main.ts sets (src/http/keep-alive.ts): such a suite blocks its own
 * process between requests (tshark through execFileSync), and with Node's default 5 s the server
 * closed the idle socket right as fetch reused it — ECONNRESET (issue 14).
 */
export async function listenForTests(app: INestApplication): Promise<string> {
  applyKeepAlive(app.getHttpServer());
  await app.listen(0, '127.0.0.1');
  return app.getUrl();
}
