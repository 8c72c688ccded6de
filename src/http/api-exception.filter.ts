import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { mapDatabaseUnavailable } from './database-unavailable-answer';

/** The body of every unexpected failure: nothing of the cause, only an id to find it in the log. */
export interface InternalErrorBody {
  statusCode: 500;
  error: 'Internal Server Error';
  message: 'internal error';
  id: string;
}

/** What is safe to print of an error's code (a SQLSTATE, ENOENT): a short plain token. */
const CODE = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * The global exception filter (and the base of the controllers' own): HTTP exceptions answer as
 * Nest answers them, a middleware's 4xx (body-parser) with its status and message; anything else — a database error above all — answers a generic 500 with a
 * fresh id. The error-level log line holds that id, the route pattern and the error's class and
 * code (PostgreSQL's SQLSTATE), never its message: a driver's message quotes the values it refused,
 * which are the request's and may be anything. The message, the SQL, its bound parameters and
 * the stack go to debug level, under the same id.
 */
@Catch()
export class ApiExceptionFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HttpErrors');

  override catch(thrown: unknown, host: ArgumentsHost): void {
    // PostgreSQL unreachable is an outage, not a bug: 503 with Retry-After, no 500 and no stack.
    const exception = host.getType() === 'http' ? mapDatabaseUnavailable(thrown, host) : thrown;
    if (exception instanceof HttpException || host.getType() !== 'http') {
      super.catch(exception, host);
      return;
    }
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const status = clientErrorStatus(exception);
    if (status !== null) {
      // The client's mistake, said by Express middleware (body-parser): no error to log.
      if (!res.headersSent)
        res
          .status(status)
          .json({ statusCode: status, error: STATUS_CODES[status], message: (exception as Error).message });
      return;
    }
    const id = randomUUID();
    this.log.error(`internal error ${id} on ${req.method} ${routeOf(req)}: ${errorKind(exception)}`);
    this.log.debug(`internal error ${id} details: ${errorDetails(exception)}`);
    if (res.headersSent) {
      // A streamed answer already begun cannot turn into a 500: cut it so the client sees it fail.
      res.destroy();
      return;
    }
    const body: InternalErrorBody = {
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error',
      id,
    };
    res.status(500).json(body);
  }
}

/**
 * The status of an http-errors error a middleware raised for the request itself (malformed JSON
 * 400, unsupported charset 415, body too large 413): 4xx, and marked safe to show.
 */
function clientErrorStatus(err: unknown): number | null {
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown } | null;
  const status = e?.statusCode ?? e?.status;
  return err instanceof Error && e?.expose === true && typeof status === 'number' && status >= 400 && status < 500
    ? status
    : null;
}

/** The matched route's pattern (`/alerts/:id`), not the URL: no request text in the line. */
function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : '(no route)';
}

/** `QueryFailedError 22007`: the class and, when it is a plain token, the code. */
export function errorKind(err: unknown): string {
  const name = err instanceof Error ? err.constructor.name : typeof err;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CODE.test(code) ? `${name} ${code}` : name;
}

function errorDetails(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { query, parameters } = err as { query?: unknown; parameters?: unknown };
  const sql = typeof query === 'string' ? ` query: ${query} parameters: ${safeJson(parameters)}` : '';
  return `${err.message}${sql}\n${err.stack ?? ''}`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return '(unprintable)';
  }
}
