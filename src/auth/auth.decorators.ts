import { SetMetadata } from '@nestjs/common';
import type { ApiRole } from './api-key.entity';

/**
 * Every route needs a key unless marked @Public() (only /health). Routes that change or delete
 * things, or act on the network, are @Roles('admin'); reading needs any valid key.
 */
export const IS_PUBLIC = 'netwarden:public';
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const ROLES = 'netwarden:roles';
export const Roles = (...roles: ApiRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

/**
 * The route accepts the API key in the JSON body ({"apiKey": …}) as well as in X-API-Key: only
 * POST /auth/token, so clients can exchange a key for a JWT without custom headers.
 */
export const KEY_IN_BODY = 'netwarden:key-in-body';
export const KeyInBody = (): MethodDecorator => SetMetadata(KEY_IN_BODY, true);
