import { request, type ClientRequest } from 'node:http';

/**
 * Many `GET /events` listeners held open through a load run, each counting what it receives, so
 * the bench can say how many connected, whether every one saw every event and how many the
 * server dropped (a stream that ends while we still listen). Plain node:http, one socket each
 * (no agent pooling): 200 clients are 200 connections, as 200 dashboards would be.
 */
export interface SseClientStats {
  connected: boolean;
  /** Events by type (`event:` lines). */
  events: Map<string, number>;
  /** Capture ids of the capture.done events seen, with their status. */
  done: Map<string, string>;
  /** The server ended the stream before we closed it. */
  dropped: boolean;
}

export interface SseClients {
  clients: SseClientStats[];
  /** Resolves when every client has its 200 and the opening comment (rejects after timeoutMs). */
  ready: Promise<void>;
  /** Calls back on each capture.done (any client's first sighting of that capture). */
  onDone(listener: (captureId: string, status: string) => void): void;
  close(): void;
}

export function openSseClients(baseUrl: string, apiKey: string, count: number, timeoutMs = 30_000): SseClients {
  const url = new URL('/events', baseUrl);
  const requests: ClientRequest[] = [];
  const clients: SseClientStats[] = [];
  const doneListeners: Array<(id: string, status: string) => void> = [];
  const seenDone = new Set<string>();
  let closing = false;
  let connected = 0;
  let markReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const timer = setTimeout(
    () => failReady(new Error(`${connected}/${count} SSE clients connected after ${timeoutMs} ms`)),
    timeoutMs,
  );

  for (let i = 0; i < count; i++) {
    const stats: SseClientStats = { connected: false, events: new Map(), done: new Map(), dropped: false };
    clients.push(stats);
    const req = request(url, { agent: false, headers: { 'x-api-key': apiKey, accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      let pending = '';
      let lastEvent = '';
      res.on('data', (text: string) => {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === ': connected' && res.statusCode === 200 && !stats.connected) {
            stats.connected = true;
            if (++connected === count) {
              clearTimeout(timer);
              markReady();
            }
          } else if (line.startsWith('event: ')) {
            lastEvent = line.slice(7);
            stats.events.set(lastEvent, (stats.events.get(lastEvent) ?? 0) + 1);
          } else if (line.startsWith('data: ') && lastEvent === 'capture.done') {
            const e = JSON.parse(line.slice(6)) as { captureId: string; status: string };
            stats.done.set(e.captureId, e.status);
            if (!seenDone.has(e.captureId)) {
              seenDone.add(e.captureId);
              for (const l of doneListeners) l(e.captureId, e.status);
            }
          }
        }
      });
      res.on('close', () => {
        if (!closing) stats.dropped = true;
      });
    });
    req.on('error', () => {
      if (!closing) stats.dropped = true;
    });
    req.end();
    requests.push(req);
  }
  return {
    clients,
    ready,
    onDone: (l) => doneListeners.push(l),
    close() {
      closing = true;
      clearTimeout(timer);
      for (const r of requests) r.destroy();
    },
  };
}
