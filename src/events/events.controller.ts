import { BadRequestException, Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { isUuid } from '../http/query-params';
import { EventBusService } from './event-bus.service';

/**
 * GET /events: server-sent events relaying the workers' ServiceEvents (capture.progress,
 * capture.done, finding) — `event: <type>` and `data: <the event's JSON>`. A comment line opens
 * the stream (the client knows it is subscribed) and another is sent every heartbeat so proxies
 * keep the connection. A client whose unsent data passes the buffer limit is dropped (the stream
 * ends; EventSource reconnects and the client catches up through /captures and /alerts) instead
 * of the server holding an ever-growing buffer for it.
 */
@ApiTags('events')
@ApiSecurity('api-key')
@ApiBearerAuth('jwt')
@Controller('events')
export class EventsController {
  constructor(
    private readonly bus: EventBusService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Server-sent events: capture progress and new findings' })
  @ApiQuery({ name: 'capture', required: false, description: "only this capture's events (UUID)" })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'text/event-stream; events capture.progress, capture.done, finding' })
  @ApiResponse({ status: 400, description: 'capture is not a UUID' })
  stream(@Query('capture') capture: unknown, @Res() res: Response): void {
    if (capture !== undefined && (typeof capture !== 'string' || !isUuid(capture)))
      throw new BadRequestException('capture: not a UUID');
    const only = typeof capture === 'string' ? capture.toLowerCase() : null;
    const limit = this.settings.events.clientBufferBytes;

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // nginx would otherwise hold events back
    res.flushHeaders();
    res.write(': connected\n\n');

    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    };
    const send = (text: string): void => {
      if (closed) return;
      if (res.writableLength + Buffer.byteLength(text) > limit) {
        close(); // too slow: drop it rather than buffer without bound
        return;
      }
      res.write(text);
    };
    const unsubscribe = this.bus.subscribe((e) => {
      if (only !== null && e.captureId.toLowerCase() !== only) return;
      send(`event: ${e.type.replace(/[\r\n]/g, '')}\ndata: ${e.json}\n\n`);
    });
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), this.settings.events.heartbeatMs);
    // The response's 'close' is the connection going away (a request's 'close' only says its body was read).
    res.on('close', close);
    res.on('error', close);
  }
}
