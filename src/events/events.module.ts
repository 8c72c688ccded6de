import { Module } from '@nestjs/common';
import { EventBusService } from './event-bus.service';
import { EventsController } from './events.controller';

/** GET /events: the workers' events (Redis pub/sub) relayed to browsers as server-sent events. */
@Module({ controllers: [EventsController], providers: [EventBusService], exports: [EventBusService] })
export class EventsModule {}
