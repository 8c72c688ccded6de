import type { SchemaObject } from '@nestjs/swagger';
import { SEVERITIES } from '../engine/finding';

/** OpenAPI schema of the engine's Finding (src/engine/finding.ts; README "JSON output"). */
const HOST: SchemaObject = {
  type: 'object',
  properties: { ip: { type: 'string' }, mac: { type: 'string' }, port: { type: 'integer' } },
};

export const FINDING_SCHEMA: SchemaObject = {
  type: 'object',
  required: [
    'id',
    'detector',
    'type',
    'severity',
    'title',
    'description',
    'firstSeen',
    'lastSeen',
    'count',
    'evidence',
  ],
  properties: {
    id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'sha256(capture, detector, key), first 32 hex' },
    detector: { type: 'string', example: 'port-scan' },
    type: { type: 'string' },
    severity: { type: 'string', enum: [...SEVERITIES] },
    title: { type: 'string' },
    description: { type: 'string' },
    mitre: { type: 'string', example: 'T1046' },
    firstSeen: { type: 'string', description: 'packet time, ISO-8601 with microseconds' },
    lastSeen: { type: 'string' },
    count: { type: 'integer' },
    src: HOST,
    dst: HOST,
    evidence: {
      type: 'object',
      description: 'frames: global frame numbers (at most maxEvidenceFrames); further details per detector',
      properties: { frames: { type: 'array', items: { type: 'integer' } }, framesTotal: { type: 'integer' } },
      additionalProperties: true,
    },
  },
};

export const ALERTS_PAGE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['items', 'page', 'limit', 'total'],
  properties: {
    items: { type: 'array', items: FINDING_SCHEMA },
    page: { type: 'integer' },
    limit: { type: 'integer' },
    total: { type: 'integer', description: 'findings matching the filters, over all pages' },
  },
};

export const ALERT_SCHEMA: SchemaObject = {
  allOf: [FINDING_SCHEMA, { type: 'object', properties: { captureId: { type: 'string', format: 'uuid' } } }],
};

export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, message: { type: 'string' }, error: { type: 'string' } },
};
