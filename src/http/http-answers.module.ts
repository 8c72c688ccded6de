import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ApiExceptionFilter } from './api-exception.filter';
import { NulFreePipe } from './nul-free.pipe';
import { UnknownRouteController } from './unknown-route.controller';

/**
 * What every API answer shares, wherever the app is built (main.ts or a test): the generic 500
 * for unexpected errors, the refusal of U+0000 in any input, the 401/404 for unknown routes.
 */
@Module({
  controllers: [UnknownRouteController],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useClass: NulFreePipe },
  ],
})
export class HttpAnswersModule {}
