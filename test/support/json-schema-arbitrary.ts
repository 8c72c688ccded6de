import fc from 'fast-check';

/** The part of JSON Schema (as OpenAPI 3 writes it) the API's documents use. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  oneOf?: JsonSchema[];
}

/**
 * Values for a schema: mostly valid, and the invalid ones a validator has to catch at its edges —
 * one past each bound, a non-integer, the wrong type now and then.
 */
export function valuesFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const wrong = fc.jsonValue({ maxDepth: 1 });
  return fc.oneof({ weight: 6, arbitrary: validish(schema) }, { weight: 1, arbitrary: wrong });
}

/** Values within the schema or just at its edges (empty, the longest, one past). */
export function validish(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.oneOf) return fc.oneof(...s.oneOf.map(validish));
  if (s.enum)
    return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: fc.string() });
  switch (s.type) {
    case 'string': {
      const max = s.maxLength ?? 100;
      const edges = fc.constantFrom('', 'a'.repeat(max), 'a'.repeat(max + 1));
      const free = fc.string({ unit: 'binary', minLength: s.minLength ?? 0, maxLength: Math.min(max, 100) });
      return s.pattern
        ? fc.oneof({ weight: 4, arbitrary: fc.stringMatching(new RegExp(s.pattern)) }, free, edges)
        : fc.oneof({ weight: 4, arbitrary: free }, edges);
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -(2 ** 31);
      const max = s.maximum ?? 2 ** 31;
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min, max }) },
        fc.constantFrom(min - 1, min, max, max + 1, 1.5, -0, 2 ** 53 + 2),
      );
    }
    case 'boolean':
      return fc.oneof({ weight: 4, arbitrary: fc.boolean() }, fc.constantFrom('true', 0, 1));
    case 'array':
      return fc.array(validish(s.items ?? {}), { maxLength: 4 });
    case 'object': {
      if (s.properties)
        return fc.record(Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, valuesFor(v)])), {
          requiredKeys: [],
        });
      const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : {};
      return fc.dictionary(fc.string({ maxLength: 20 }), validish(extra), { maxKeys: 3 });
    }
  }
  return fc.jsonValue({ maxDepth: 2 });
}
