import { DETECTORS } from '../engine/detectors/registry';

/** POST /live's body in the OpenAPI document: the fields and bounds parseStartLiveRequest checks. */
export const START_LIVE_REQUEST_SCHEMA = {
  type: 'object',
  required: ['interface'],
  additionalProperties: false,
  properties: {
    interface: { type: 'string', pattern: '^[A-Za-z0-9_.:@+-]{1,64}$', description: 'see GET /live/interfaces' },
    filter: { type: 'string', maxLength: 4096, description: 'BPF expression' },
    snaplen: { type: 'integer', minimum: 64, maximum: 262144 },
    promiscuous: { type: 'boolean' },
    chunkMs: { type: 'integer', minimum: 100, maximum: 3600000 },
    chunkPackets: { type: 'integer', minimum: 1, maximum: 10000000 },
    chunkBytes: { type: 'integer', minimum: 65536, maximum: 1073741824 },
    detectors: { type: 'array', minItems: 1, items: { type: 'string', enum: DETECTORS.map((d) => d.id) } },
    name: { type: 'string', minLength: 1, maxLength: 200 },
  },
};
