import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { Settings } from '../config/settings';

/**
 * Helmet with a CSP that still lets Swagger UI at /docs work: its scripts and stylesheet are
 * served from our origin, but its page carries inline <style> blocks and data: images, and it
 * fetches the OpenAPI document from the same origin. No inline scripts, no framing.
 * upgrade-insecure-requests and HSTS only when we serve HTTPS ourselves: on plain HTTP they would
 * send browsers to an https port nobody listens on.
 */
export function securityHeaders(s: Settings): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: s.https.enabled ? [] : null,
      },
    },
    strictTransportSecurity: s.https.enabled ? { maxAge: 31536000, includeSubDomains: true } : false,
  });
}
