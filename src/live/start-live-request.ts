import { BadRequestException } from '@nestjs/common';
import { assertKnownDetectors, UnknownDetectorError } from '../engine/detectors/registry';
import { shownValue } from '../http/query-params';
import type { StartLiveSession } from './live-sessions.service';

const FIELDS = [
  'interface',
  'filter',
  'snaplen',
  'promiscuous',
  'chunkMs',
  'chunkPackets',
  'chunkBytes',
  'detectors',
  'name',
] as const;

/** Interface names as the kernel allows them, minus what would confuse a log line or a path. */
const IFACE = /^[A-Za-z0-9_.:@+-]{1,64}$/;

function int(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BadRequestException(`${key}: must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** POST /live's JSON body, checked by hand like every other input (400 naming the field). */
export function parseStartLiveRequest(body: unknown): StartLiveSession {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('the body must be a JSON object like {"interface": "eth0", "filter": "not port 22"}');
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!(FIELDS as readonly string[]).includes(k)) {
      throw new BadRequestException(`unknown field ${shownValue(k)} (known: ${FIELDS.join(', ')})`);
    }
  }
  if (typeof b.interface !== 'string' || !IFACE.test(b.interface)) {
    throw new BadRequestException('interface: required, 1 to 64 letters, digits or _ . : @ + - (GET /live/interfaces)');
  }
  if (b.filter !== undefined && (typeof b.filter !== 'string' || b.filter.length > 4096 || b.filter.includes('\0'))) {
    throw new BadRequestException('filter: a BPF expression of at most 4096 characters');
  }
  if (b.promiscuous !== undefined && typeof b.promiscuous !== 'boolean') {
    throw new BadRequestException('promiscuous: must be true or false');
  }
  if (b.name !== undefined && (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 200)) {
    throw new BadRequestException('name: 1 to 200 characters');
  }
  let detectors: string[] | null = null;
  if (b.detectors !== undefined) {
    if (!Array.isArray(b.detectors) || b.detectors.length === 0 || b.detectors.some((d) => typeof d !== 'string')) {
      throw new BadRequestException('detectors: a non-empty array of detector ids');
    }
    detectors = [...new Set(b.detectors as string[])];
    try {
      assertKnownDetectors(detectors);
    } catch (err) {
      if (err instanceof UnknownDetectorError) throw new BadRequestException(`detectors: ${err.message}`);
      throw err;
    }
  }
  return {
    interface: b.interface,
    filter: typeof b.filter === 'string' ? b.filter.trim() : undefined,
    snaplen: int(b, 'snaplen', 64, 262_144),
    promiscuous: b.promiscuous as boolean | undefined,
    chunkMs: int(b, 'chunkMs', 100, 3_600_000),
    chunkPackets: int(b, 'chunkPackets', 1, 10_000_000),
    chunkBytes: int(b, 'chunkBytes', 65_536, 1024 * 1024 * 1024),
    detectors,
    name: b.name as string | undefined,
  };
}
