import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { bulkUpsert } from '../database/bulk-upsert';
import { pgText } from '../database/pg-text';
import { isoTime, type Finding } from '../engine/finding';
import type { SummaryDelta, TlsRow } from '../engine/summary/traffic-summary';
import { CredentialEntity } from '../traffic/credential.entity';
import { FlowEntity } from '../traffic/flow.entity';
import { HostEntity } from '../traffic/host.entity';
import { TlsServerEntity } from '../traffic/tls-server.entity';
import { TrafficBucketEntity } from '../traffic/traffic-bucket.entity';

/**
 * Persists one chunk's summary delta, and the masked credentials its changed findings describe,
 * inside the chunk's transaction. Every row holds the collector's absolute values and is upserted
 * on its natural key, so a chunk retried after a crash rewrites the same rows (never adds).
 * Parameterised inserts only (packet text never becomes SQL): see bulkUpsert.
 */
const CREDENTIALS_DETECTOR = 'plaintext-credentials';

/** Packet time (s) as a timestamptz parameter with its microseconds. */
const ts = (t: number): string => isoTime(t);

export function tlsRowId(r: Pick<TlsRow, 'serverIp' | 'serverPort' | 'sni' | 'sha256' | 'firstFrame'>): string {
  return createHash('sha256')
    .update(JSON.stringify([r.serverIp, r.serverPort, r.sni, r.sha256, r.firstFrame]))
    .digest('hex')
    .slice(0, 32);
}

export async function writeSummary(
  manager: EntityManager,
  captureId: string,
  delta: SummaryDelta,
  changedFindings: readonly Finding[],
): Promise<void> {
  await bulkUpsert(
    manager,
    FlowEntity,
    ['captureId', 'firstFrame'],
    delta.flows.map((f) => ({
      captureId,
      firstFrame: f.firstFrame,
      lastFrame: f.lastFrame,
      transport: f.transport,
      clientIp: pgText(f.clientIp),
      clientPort: f.clientPort,
      serverIp: pgText(f.serverIp),
      serverPort: f.serverPort,
      app: pgText(f.app),
      packetsToServer: f.packetsToServer,
      bytesToServer: f.bytesToServer,
      packetsToClient: f.packetsToClient,
      bytesToClient: f.bytesToClient,
      packets: f.packetsToServer + f.packetsToClient,
      bytes: f.bytesToServer + f.bytesToClient,
      firstSeen: ts(f.firstSeen),
      lastSeen: ts(f.lastSeen),
      flagsToServer: f.flagsToServer,
      flagsToClient: f.flagsToClient,
      state: f.state,
      final: f.final,
    })),
  );
  await bulkUpsert(
    manager,
    HostEntity,
    ['captureId', 'ip', 'firstFrame'],
    delta.hosts.map((h) => ({
      captureId,
      ip: pgText(h.ip),
      firstFrame: h.firstFrame,
      macs: h.macs,
      internal: h.internal,
      packetsSent: h.packetsSent,
      bytesSent: h.bytesSent,
      packetsReceived: h.packetsReceived,
      bytesReceived: h.bytesReceived,
      bytes: h.bytesSent + h.bytesReceived,
      firstSeen: ts(h.firstSeen),
      lastSeen: ts(h.lastSeen),
    })),
  );
  await bulkUpsert(
    manager,
    TlsServerEntity,
    ['captureId', 'id'],
    delta.tls.map((r) => ({
      captureId,
      id: tlsRowId(r),
      serverIp: pgText(r.serverIp),
      serverPort: r.serverPort,
      sni: pgText(r.sni),
      sha256: r.sha256,
      subject: pgText(r.subject),
      issuer: pgText(r.issuer),
      validFrom: pgText(r.validFrom),
      validTo: pgText(r.validTo),
      selfSigned: r.selfSigned,
      version: r.version,
      firstFrame: r.firstFrame,
      lastFrame: r.lastFrame,
      firstSeen: ts(r.firstSeen),
      lastSeen: ts(r.lastSeen),
      count: r.count,
    })),
  );
  await bulkUpsert(
    manager,
    TrafficBucketEntity,
    ['captureId', 'minute', 'firstFrame'],
    delta.buckets.map((b) => ({
      captureId,
      minute: ts(b.minute),
      firstFrame: b.firstFrame,
      packets: b.packets,
      bytes: b.bytes,
      protocols: b.protocols,
      apps: b.apps,
    })),
  );
  await bulkUpsert(
    manager,
    CredentialEntity,
    ['captureId', 'findingId'],
    changedFindings.filter((f) => f.detector === CREDENTIALS_DETECTOR).map((f) => credentialRow(captureId, f)),
  );
}

/** The finding's evidence already holds only the masked secret (secret-mask.ts): nothing clear to drop. */
function credentialRow(captureId: string, f: Finding): Record<string, unknown> {
  const e = f.evidence as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? pgText(v) : null);
  const succeeded = e.succeeded;
  const attempts = e.attempts as { total?: unknown } | undefined;
  return {
    captureId,
    findingId: f.id,
    protocol: str(e.protocol) ?? 'unknown',
    clientIp: pgText(f.src?.ip ?? str(e.client) ?? ''),
    serverIp: pgText(f.dst?.ip ?? ''),
    serverPort: f.dst?.port ?? null,
    user: str(e.user),
    method: str(e.method),
    maskedSecret: str(e.secret),
    outcome: succeeded === true ? 'succeeded' : succeeded === false ? 'failed' : 'unknown',
    attempts: typeof attempts?.total === 'number' ? attempts.total : f.count,
    type: f.type,
    severity: f.severity,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
  };
}
