import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeysService } from './api-keys.service';
import { ApiThrottlerGuard } from './api-throttler.guard';
import { KEY_IN_BODY } from './auth.decorators';
import { CredentialsGuard } from './credentials.guard';
import type { AuthenticatedRequest, Principal } from './principal';
import { roleReaches, rolesReaching } from './roles';
import { routeAccess } from './route-access';

/** The one 401 answer: it never says which part was wrong and never echoes what was sent. */
export const UNAUTHORIZED_MESSAGE = 'missing or invalid credentials: send X-API-Key or Authorization: Bearer <token>';

export function unauthorized(): UnauthorizedException {
  return new UnauthorizedException({ statusCode: 401, message: UNAUTHORIZED_MESSAGE });
}

interface HttpRequest extends AuthenticatedRequest {
  method: string;
  /** The Express route that matched: its registered pattern, e.g. /alerts/:id/pcap. */
  route?: { path?: string };
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/**
 * The global guard (APP_GUARD, registered by AuthModule). For every HTTP route:
 * identify the caller (X-API-Key, else Bearer JWT) → rate-limit per key or per IP →
 * public routes pass; no valid credentials → 401; a role below the route's → 403. Who may call
 * what is ROUTE_ACCESS (route-access.ts), looked up by the matched route; a route missing there
 * is refused (403), never let through.
 * Rate limiting comes before the 401 so that guessing keys is itself limited per address.
 * Anything that is not HTTP (a websocket gateway added later) is refused until it has auth.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialsGuard,
    private readonly throttler: ApiThrottlerGuard,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const access = routeAccess(req.method, req.route?.path ?? '');
    const open = access === 'public';
    if (!open) req.principal = (await this.identify(context, req)) ?? undefined;
    await this.throttler.canActivate(context);
    if (open) return true;
    const principal = req.principal;
    if (!principal) throw unauthorized();
    if (access === undefined) throw new ForbiddenException('this route has no declared access');
    if (!roleReaches(principal.role, access)) {
      throw new ForbiddenException(
        `this route needs the ${rolesReaching(access)} role; this key has ${principal.role}`,
      );
    }
    return true;
  }

  private async identify(context: ExecutionContext, req: HttpRequest): Promise<Principal | null> {
    await this.credentials.canActivate(context);
    if (req.principal) return req.principal;
    // POST /auth/token may carry the key as {"apiKey": …} instead of the header.
    const inBody = this.reflector.get<boolean>(KEY_IN_BODY, context.getHandler());
    const body = req.body as { apiKey?: unknown } | undefined;
    if (inBody && req.headers['x-api-key'] === undefined && typeof body?.apiKey === 'string') {
      const key = await this.keys.verifyKey(body.apiKey);
      if (key) return { keyId: key.id, role: key.role, via: 'api-key' };
    }
    return null;
  }
}
