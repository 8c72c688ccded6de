import { createHash, timingSafeEqual } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { version } from '../package.json';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
export const DOCS_YAML_PATH = 'docs-yaml';

/**
 * OpenAPI for the API: Swagger UI at /docs, the document at /docs-json (and /docs-yaml). Both need the X-API-Key
 * like every route but /health (issue 6): they sit outside Nest's router, so the global guard
 * does not see them and this middleware applies the same check (SHA-256 both sides, constant-time
 * compare, 503 without API_KEY). A browser opening /docs must therefore send the header (an
 * extension, or a proxy); the auth work may let the dashboard's login open it instead.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('netwarden')
    .setDescription('Network security monitor: captures, findings (alerts), evidence, events, health.')
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'jwt')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  app.use([`/${DOCS_PATH}`, `/${DOCS_JSON_PATH}`, `/${DOCS_YAML_PATH}`], requireApiKey);
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: DOCS_JSON_PATH, yamlDocumentUrl: DOCS_YAML_PATH });
}

function requireApiKey(req: Request, res: Response, next: NextFunction): void {
  const expected = process.env.API_KEY;
  if (!expected) {
    res.status(503).json({ statusCode: 503, message: 'API_KEY is not set: the API documentation is disabled' });
    return;
  }
  const given = req.headers['x-api-key'];
  if (typeof given !== 'string' || !sameSecret(given, expected)) {
    res.status(401).json({ statusCode: 401, message: 'missing or wrong X-API-Key header', error: 'Unauthorized' });
    return;
  }
  next();
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
