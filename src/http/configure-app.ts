import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Settings } from '../config/settings';
import { noStore } from './no-store';
import { securityHeaders } from './security-headers';

/**
 * What main.ts applies to the Nest app beyond its modules, shared with the e2e tests so they
 * exercise the same headers and proxy trust the real process has.
 */
export function configureApp(app: NestExpressApplication, s: Settings): void {
  app.use(securityHeaders(s));
  app.use(noStore());
  // Only behind a known proxy: otherwise X-Forwarded-For would choose the client's rate-limit bucket.
  if (s.trustProxy !== null) app.set('trust proxy', s.trustProxy);
}
