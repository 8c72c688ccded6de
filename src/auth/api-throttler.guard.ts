import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Settings } from '../config/settings';
import type { AuthenticatedRequest } from './principal';

/**
 * Routes counted by the lower 'upload' throttler as well as the default one. Matched on method +
 * route pattern here (the captures controller does not need to know): `POST /captures` takes
 * both multipart and raw-body uploads. A new upload route is added to this list.
 */
export const UPLOAD_ROUTES = ['POST /captures'];

interface RoutedRequest extends AuthenticatedRequest {
  method: string;
  route?: { path?: string };
}

function isUploadRoute(context: ExecutionContext): boolean {
  const req = context.switchToHttp().getRequest<RoutedRequest>();
  return UPLOAD_ROUTES.includes(`${req.method} ${req.route?.path ?? ''}`);
}

export const THROTTLED_MESSAGE = 'too many requests: retry after the number of seconds in the Retry-After header';

/** ThrottlerModule options from settings.throttle: 'default' on every route, 'upload' on UPLOAD_ROUTES. */
export function throttlerOptions(s: Settings): ThrottlerModuleOptions {
  return {
    errorMessage: THROTTLED_MESSAGE,
    throttlers: [
      { name: 'default', limit: s.throttle.limit, ttl: s.throttle.ttlMs },
      {
        name: 'upload',
        limit: s.throttle.uploadLimit,
        ttl: s.throttle.ttlMs,
        skipIf: (context) => !isUploadRoute(context),
      },
    ],
  };
}

/**
 * Rate limits per API key when the caller is authenticated (the access guard has set
 * req.principal, whether from X-API-Key or a JWT of that key), per client IP otherwise — so
 * guessing keys is limited per address. One budget per key or IP across all routes (the stock
 * guard counts each route apart). Called by AccessGuard, not registered as a guard of its own.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = (req as AuthenticatedRequest).principal;
    if (principal) return `key:${principal.keyId}`;
    return `ip:${await super.getTracker(req)}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  /** The stock guard names the header Retry-After-upload for a named throttler; clients know only Retry-After. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const res = context.switchToHttp().getResponse<{
      setHeader(name: string, value: string): void;
      getHeaderNames(): string[];
      removeHeader(name: string): void;
    }>();
    for (const h of res.getHeaderNames()) if (h.startsWith('retry-after-')) res.removeHeader(h);
    res.setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    return super.throwThrottlingException(context, detail);
  }
}
