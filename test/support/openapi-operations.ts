import type { JsonSchema } from './json-schema-arbitrary';

/**
 * The operations an OpenAPI 3 document (the API's /docs-json) declares, flattened to what a
 * request generator needs: method, path template, parameters with their schemas, body types.
 */
export interface ParamSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
}

export interface OperationParam {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: ParamSchema;
}

export interface Operation {
  /** `GET /alerts/{id}`. */
  id: string;
  method: string;
  /** OpenAPI template, `{name}` for path parameters. */
  path: string;
  params: OperationParam[];
  /** Content types of the request body, if the document gives one. */
  bodyTypes: string[];
  /** The schema of its application/json body, if the document gives one. */
  jsonBody: JsonSchema | null;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: OperationParam[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }
    >
  >;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

export function operationsOf(doc: unknown): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries((doc as OpenApiDoc).paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.has(m)) continue;
      const method = m.toUpperCase();
      out.push({
        id: `${method} ${path}`,
        method,
        path,
        params: (op.parameters ?? []).map((p) => ({ ...p, required: p.required === true, schema: p.schema ?? {} })),
        bodyTypes: Object.keys(op.requestBody?.content ?? {}),
        jsonBody: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return out;
}
