import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiRole } from './api-key.entity';
import { ApiKeysService } from './api-keys.service';
import { ApiThrottlerGuard } from './api-throttler.guard';
import { IS_PUBLIC, KEY_IN_BODY, ROLES } from './auth.decorators';
import { CredentialsGuard } from './credentials.guard';
import type { AuthenticatedRequest, Principal } from './principal';

/** The one 401 answer: it never says which part was wrong and never echoes what was sent. */
export const UNAUTHORIZED_MESSAGE = 'missing or invalid credentials: send X-API-Key or Authorization: Bearer <token>';

export function unauthorized(): UnauthorizedException {
  return new UnauthorizedException({ statusCode: 401, message: UNAUTHORIZED_MESSAGE });
}

interface HttpRequest extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/**
 * The global guard (APP_GUARD, registered by AuthModule). For every HTTP route:
 * identify the caller (X-API-Key, else Bearer JWT) → rate-limit per key or per IP →
 * @Public() routes pass; no valid credentials → 401; @Roles the key lacks → 403.
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
    const targets = [context.getHandler(), context.getClass()];
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    if (!open) req.principal = (await this.identify(context, req)) ?? undefined;
    await this.throttler.canActivate(context);
    if (open) return true;
    const principal = req.principal;
    if (!principal) throw unauthorized();
    const roles = this.reflector.getAllAndOverride<ApiRole[] | undefined>(ROLES, targets);
    // admin can do everything read can; @Roles lists who else may.
    if (roles && principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new ForbiddenException(`this route needs the ${roles.join(' or ')} role; this key has ${principal.role}`);
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
