import { All, Controller, NotFoundException, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { shownValue } from './query-params';

/**
 * Every path no other controller serves. Being a Nest route, it passes the global guard like the
 * rest: without valid credentials a 401 (and the rate limit), so nobody learns which routes
 * exist without a key; with one, the 404. Its module is imported last (app.module.ts): Nest
 * registers routes in module order, and this one would shadow any route registered after it.
 */
@ApiExcludeController()
@Controller()
export class UnknownRouteController {
  @All('{*path}')
  unknown(@Req() req: Request): never {
    throw new NotFoundException(`Cannot ${req.method} ${shownValue(req.path)}`);
  }
}
