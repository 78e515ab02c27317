import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/index.js';
import { createProducer } from '../../../src/producer/index.js';
import type { Producer } from '../../../src/producer/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type { OpsServer } from '../../../src/server/index.js';
import { silentLogger } from '../../support/dashboard-world.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

const TOKEN = 'openapi-token-4f2a9b7c1d';

interface Operation {
  parameters?: { in: string; name: string; schema?: object }[];
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
  security?: unknown[];
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

describe('OpenAPI document of the HTTP intake (/openapi.json, /docs)', () => {
  let producer: Producer;
  let server: OpsServer;

  beforeAll(async () => {
    producer = await createProducer({
      redis: redisUrl(),
      prefix: uniquePrefix('openapi'),
      defaultAppId: 'appopenapi1',
      attempts: 3,
      idempotencyWindowS: 3600,
    });
    server = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      intake: { tokens: [TOKEN], maxBatch: 100, bodyLimitBytes: 64 * 1024, producer },
    });
  });

  afterAll(async () => {
    await server?.close();
    await producer?.close();
  });

  async function fetchDocument(): Promise<OpenApiDocument> {
    const res = await fetch(`${server.url}/openapi.json`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    return (await res.json()) as OpenApiDocument;
  }

  it('serves /openapi.json and /docs only with the intake token', async () => {
    for (const path of ['/openapi.json', '/docs', '/docs/json']) {
      for (const authorization of [undefined, 'Bearer wrong-token']) {
        const res = await fetch(`${server.url}${path}`, {
          headers: authorization === undefined ? {} : { authorization },
          redirect: 'manual',
        });
        expect(res.status, `${path} with ${authorization ?? 'no token'}`).toBe(401);
        await res.body?.cancel();
      }
    }
    const docs = await fetch(`${server.url}/docs/`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('has every registered /v1 route, with its request and response schemas', async () => {
    const doc = await fetchDocument();
    const v1 = server.routes.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');
    expect(v1.length).toBeGreaterThanOrEqual(4);
    for (const route of v1) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      const where = `${route.method} ${route.url}`;
      expect(op, where).toBeDefined();
      expect(op?.security, where).toEqual([{ bearerAuth: [] }]);
      // Request: a JSON body schema for writes, a schema for every path parameter.
      if (route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH') {
        expect(op?.requestBody?.content?.['application/json']?.schema, where).toBeDefined();
      }
      for (const name of [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1])) {
        const param = op?.parameters?.find((p) => p.in === 'path' && p.name === name);
        expect(param?.schema, `${where}: path parameter ${name}`).toBeDefined();
      }
      // Responses: a success with a JSON schema, and the documented errors.
      const responses = op?.responses ?? {};
      const success = Object.keys(responses).filter((code) => /^2\d\d$/.test(code));
      expect(success.length, where).toBeGreaterThan(0);
      for (const code of [...success, '400', '401']) {
        expect(
          responses[code]?.content?.['application/json']?.schema,
          `${where} ${code}`,
        ).toBeDefined();
      }
    }
    // Nothing outside /v1 is documented (ops endpoints, the dashboard).
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/v1/'))).toEqual([]);
  });

  it('documents the schema that validates: what it forbids is answered 400 naming the field', async () => {
    const doc = await fetchDocument();
    const body = doc.paths['/v1/takedowns']?.post?.requestBody?.content?.['application/json']
      ?.schema as { properties: Record<string, { enum?: unknown[] }>; required: string[] };
    expect(body.required).toContain('region');
    expect(body.properties.region?.enum).toEqual(['na', 'eu', 'ap', 'cn']);
    const res = await fetch(`${server.url}/v1/takedowns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ region: 'mars', sid: 12345, colour: 'red' }),
    });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; fieldErrors: { field: string }[] };
    expect(answer.error).toBe('invalid-request');
    expect(answer.fieldErrors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['region', 'sid', 'colour']),
    );
  });
});
