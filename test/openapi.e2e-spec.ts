import { version } from '../package.json';
import { startTestApi, type TestApi } from './support/api-app';

/** /docs (Swagger UI) and /docs-json as main.ts sets them up (src/openapi.ts), over real HTTP. */
describe('OpenAPI at /docs', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('/docs-json describes the routes, their parameters and both security schemes', async () => {
    const res = await fetch(`${api.url}/docs-json`, { headers: api.auth });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      info: { title: string; version: string };
      paths: Record<
        string,
        Record<
          string,
          { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown>; security?: unknown }
        >
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.info).toMatchObject({ title: 'netwarden', version });
    for (const path of ['/alerts', '/alerts/{id}', '/alerts/{id}/pcap', '/events', '/health'])
      expect({ path, get: path in doc.paths && 'get' in doc.paths[path] }).toEqual({ path, get: true });
    expect(doc.components.securitySchemes).toEqual({
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    const list = doc.paths['/alerts'].get;
    expect(list.parameters!.map((p) => p.name).sort()).toEqual(
      ['capture', 'detector', 'from', 'host', 'limit', 'minSeverity', 'page', 'severity', 'sort', 'to', 'type'].sort(),
    );
    expect(Object.keys(list.responses).sort()).toEqual(['200', '400', '401']);
    expect(list.security).toEqual([{ jwt: [] }, { 'api-key': [] }]); // either one suffices
    expect(Object.keys(doc.paths['/alerts/{id}/pcap'].get.responses).sort()).toEqual([
      '200',
      '401',
      '404',
      '409',
      '422',
    ]);
    expect(Object.keys(doc.paths['/health'].get.responses).sort()).toEqual(['200', '503']);
    expect(doc.paths['/health'].get.security).toBeUndefined();
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${api.url}/docs`, { headers: api.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger-ui');
  });

  it('needs the key like every route but /health', async () => {
    for (const path of ['/docs', '/docs-json', '/docs/swagger-ui-init.js', '/docs-yaml']) {
      expect({ path, status: (await fetch(`${api.url}${path}`)).status }).toEqual({ path, status: 401 });
      const wrong = await fetch(`${api.url}${path}`, { headers: { 'X-API-Key': 'wrong-wrong-wrong-wrong' } });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
    }
  });
});
