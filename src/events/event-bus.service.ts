import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { redisOptions } from '../queue/analysis-queue';
import { eventsChannel, type ServiceEvent } from '../queue/service-events';

/** One listener per SSE client; gets the message text as published plus what it needs to filter. */
export type EventListener = (event: { captureId: string; type: string; json: string }) => void;

/**
 * The API process's ONE Redis subscriber on the workers' events channel, fanned out in-process to
 * every GET /events client (a subscriber per client would cost Redis a connection each). ioredis
 * reconnects and re-subscribes by itself after a Redis restart; events published meanwhile are
 * lost, which the contract allows (service-events.ts: nothing is only in an event).
 */
@Injectable()
export class EventBusService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('events');
  private readonly listeners = new Set<EventListener>();
  private subscriber: Redis | null = null;
  readonly channel: string;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    this.channel = eventsChannel(settings.redisPrefix);
  }

  onModuleInit(): void {
    // Not awaited: the API starts (and /health reports Redis down) while Redis is unreachable.
    const sub = new Redis({ ...redisOptions(this.settings), lazyConnect: false });
    sub.on('error', (err: Error & { code?: string }) => this.log.warn(`subscriber: ${err.code ?? err.name}`));
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.dispatch(message);
    });
    sub.subscribe(this.channel).catch((err: Error) => this.log.warn(`subscribe failed: ${err.name}`));
    this.subscriber = sub;
  }

  async onModuleDestroy(): Promise<void> {
    this.listeners.clear();
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub !== null) await sub.quit().catch(() => sub.disconnect());
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get clientCount(): number {
    return this.listeners.size;
  }

  /** Messages that are not a ServiceEvent's shape are dropped, not relayed. */
  private dispatch(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const { type, captureId } = parsed as Partial<ServiceEvent>;
    if (typeof type !== 'string' || typeof captureId !== 'string') return;
    // Re-serialised: what goes out is one line of JSON whatever spacing the publisher used.
    const event = { captureId, type, json: JSON.stringify(parsed) };
    for (const l of this.listeners) l(event);
  }
}
