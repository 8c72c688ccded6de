import type { Finding } from '../engine/finding';

/**
 * What workers tell the API as it happens (Redis pub/sub on `${REDIS_PREFIX}:events`); the API
 * relays it on GET /events (server-sent events) to the dashboard. Best effort: a missed event is
 * caught up through GET /captures/:id and /alerts — nothing is only in an event.
 */
export type ServiceEvent =
  | {
      type: 'capture.progress';
      captureId: string;
      status: string;
      chunksDone: number;
      chunksTotal: number | null;
      packets: number;
      bytes: number;
    }
  | { type: 'capture.done'; captureId: string; status: 'done' | 'failed'; reason: string | null }
  | { type: 'finding'; captureId: string; finding: Finding; created: boolean };

export function eventsChannel(redisPrefix: string): string {
  return `${redisPrefix}:events`;
}
