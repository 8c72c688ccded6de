import { SetMetadata } from '@nestjs/common';

/**
 * Which role each route needs is not a decorator: it is declared in one table,
 * ROUTE_ACCESS (route-access.ts), so the whole access matrix can be read and reviewed at once.
 */

/**
 * The route accepts the API key in the JSON body ({"apiKey": …}) as well as in X-API-Key: only
 * POST /auth/token, so clients can exchange a key for a JWT without custom headers.
 */
export const KEY_IN_BODY = 'netwarden:key-in-body';
export const KeyInBody = (): MethodDecorator => SetMetadata(KEY_IN_BODY, true);
