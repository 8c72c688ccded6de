import type { RedisOptions } from 'ioredis';
import type { Settings } from '../config/settings';

/**
 * The contract between the API (and live capture) and the analysis workers (DESIGN §4). A job
 * names one chunk; its bytes are the chunk file the capture_chunks row points at. Chunks of one
 * capture run strictly in order: only the next chunk's job exists at any time, added by whoever
 * committed the previous one (or by the reconciler after a lost job). The job id is derived
 * from (capture, seq), so adding it twice is harmless.
 */
export const ANALYSIS_QUEUE = 'analysis';

export interface AnalysisJobData {
  captureId: string;
  seq: number;
}

/** BullMQ forbids ':' in custom ids. */
export function analysisJobId(captureId: string, seq: number): string {
  return `${captureId}.${seq}`;
}

/** ioredis options for BullMQ: workers need maxRetriesPerRequest null (blocking commands). */
export function redisOptions(settings: Pick<Settings, 'redisUrl'>): RedisOptions {
  const u = new URL(settings.redisUrl);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
