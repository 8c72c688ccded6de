import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from './auth.decorators';

/**
 * Interim protection for management routes until the auth issue brings API keys + JWT: the
 * `X-API-Key` header must equal env API_KEY. Both are hashed to SHA-256 before a constant-time
 * compare (timingSafeEqual needs equal lengths; hashing also hides the key's length). Without
 * API_KEY the routes are closed (503) rather than open. The key is never logged or echoed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (open) return true;
    const expected = process.env.API_KEY;
    if (!expected) {
      throw new ServiceUnavailableException(
        'API_KEY is not set: this API is disabled until the server is started with API_KEY in its environment',
      );
    }
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || !sameSecret(given, expected)) {
      throw new UnauthorizedException('missing or wrong X-API-Key header');
    }
    return true;
  }
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
