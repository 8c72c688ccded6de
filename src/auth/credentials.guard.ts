import { Injectable } from '@nestjs/common';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import type { Principal } from './principal';

/**
 * Runs passport's 'api-key' then 'jwt' strategies and leaves the principal (or null) on
 * req.principal without deciding anything: AccessGuard rate-limits first, then answers 401/403.
 * A strategy error (database down) is thrown as is — that is not a credentials problem.
 */
@Injectable()
export class CredentialsGuard extends AuthGuard(['api-key', 'jwt']) {
  override getAuthenticateOptions(): IAuthModuleOptions {
    return { session: false, property: 'principal' };
  }

  override handleRequest<T = Principal | null>(err: unknown, user: Principal | false): T {
    if (err) throw err;
    return (user || null) as T;
  }
}
