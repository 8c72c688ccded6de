import { ServiceUnavailableException } from '@nestjs/common';

/**
 * Tells "PostgreSQL cannot be reached right now" apart from every other database error: the first
 * is the operator's outage, answered 503 with Retry-After (a client should simply try again); the
 * rest stay errors. node-postgres reports an unreachable server as a socket error code or as one
 * of its own connection messages; TypeORM wraps query-time failures with the driver's error.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE class 08 (connection exception) and 57P01–57P03 (server shutting down / starting up).
const SQLSTATE = /^(08\d{3}|57P0[123])$/;
const PG_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
];

/** Seconds a client is told to wait (Retry-After) before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function databaseUnavailableReason(err: unknown, depth = 0): string | null {
  if (depth > 4 || typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || SQLSTATE.test(e.code))) return e.code;
  if (typeof e.message === 'string' && PG_MESSAGES.some((m) => m.test(e.message as string))) return 'connection lost';
  for (const inner of [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const r = databaseUnavailableReason(inner, depth + 1);
    if (r) return r;
  }
  return null;
}

export function databaseUnavailableException(): ServiceUnavailableException {
  return new ServiceUnavailableException('the database is unreachable: try again shortly');
}
