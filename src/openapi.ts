import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { version } from '../package.json';
import { UNAUTHORIZED_MESSAGE } from './auth/access.guard';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
export const DOCS_YAML_PATH = 'docs-yaml';

/**
 * OpenAPI for the API: Swagger UI at /docs, the document at /docs-json (and /docs-yaml). They need
 * credentials like every route but /health (issue 6); they sit outside Nest's router, so the
 * global guard does not see them and this middleware runs the same passport strategies. A browser
 * opening /docs must send the header (an extension, or a proxy) until the dashboard's login can.
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
  app.use([`/${DOCS_PATH}`, `/${DOCS_JSON_PATH}`, `/${DOCS_YAML_PATH}`], requireCredentials);
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: DOCS_JSON_PATH, yamlDocumentUrl: DOCS_YAML_PATH });
}

/**
 * The same credentials as every guarded route (X-API-Key or a bearer JWT, through the passport
 * strategies AuthModule registers), answered with the same 401.
 */
function requireCredentials(req: Request, res: Response, next: NextFunction): void {
  const check = passport.authenticate(['api-key', 'jwt'], { session: false }, (err: unknown, principal: unknown) => {
    if (err || !principal) {
      res.status(401).json({ statusCode: 401, message: UNAUTHORIZED_MESSAGE });
      return;
    }
    next();
  }) as (req: Request, res: Response, next: NextFunction) => void;
  check(req, res, next);
}
