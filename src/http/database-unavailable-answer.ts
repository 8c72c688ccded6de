import { ArgumentsHost, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  databaseUnavailableException,
  databaseUnavailableReason,
} from '../database/database-unavailable';

const log = new Logger('DatabaseUnavailable');

/**
 * PostgreSQL unreachable → 503 with Retry-After and one warning line (no stack: an outage is not
 * a bug, and a stack per request would flood the log for its whole length). Returns the exception
 * to answer with; anything else is passed through unchanged. Called first by ApiExceptionFilter,
 * the global filter every route's errors pass through (the captures routes' own filter extends it).
 */
export function mapDatabaseUnavailable(exception: unknown, host: ArgumentsHost): unknown {
  const reason = databaseUnavailableReason(exception);
  if (reason === null) return exception;
  const res = host.switchToHttp().getResponse<Response>();
  const req = host.switchToHttp().getRequest<{ method?: string; path?: string }>();
  if (!res.headersSent) res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  log.warn(`database unreachable (${reason}): ${req.method ?? '?'} ${req.path ?? '?'} answered 503`);
  return databaseUnavailableException();
}
