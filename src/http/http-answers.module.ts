import { Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { NulFreePipe } from './nul-free.pipe';

/** What every API answer shares, wherever the app is built (main.ts or a test): the refusal of U+0000 in any input. */
@Module({
  providers: [{ provide: APP_PIPE, useClass: NulFreePipe }],
})
export class HttpAnswersModule {}
