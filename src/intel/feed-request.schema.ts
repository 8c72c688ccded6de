import { FEED_FORMATS, FEED_TYPES } from '../engine/intel/feed-format';
import { SEVERITIES } from '../engine/finding';

/** POST /intel/feeds' body in the OpenAPI document: the fields and bounds validateFeed checks (feed-config.ts). */
export const FEED_REQUEST_SCHEMA = {
  type: 'object',
  required: ['name', 'url', 'type'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
    url: { type: 'string', format: 'uri', maxLength: 2048, description: 'http or https' },
    headers: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 4096 } },
    type: { type: 'string', enum: [...FEED_TYPES] },
    format: { type: 'string', enum: [...FEED_FORMATS] },
    column: { oneOf: [{ type: 'integer', minimum: 1, maximum: 1000 }, { type: 'string' }] },
    header: { type: 'boolean' },
    delimiter: { type: 'string', minLength: 1, maxLength: 1 },
    refreshMinutes: { type: 'integer', minimum: 5, maximum: 10080 },
    severity: { type: 'string', enum: [...SEVERITIES] },
    enabled: { type: 'boolean' },
    maxBytes: { type: 'integer', minimum: 1, maximum: 536870912 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 },
    description: { type: 'string', maxLength: 300 },
  },
};
