import { ApplicationConfig } from '@nestjs/core';
import { UUID_V7 } from '../utils/http';
import { createTestApp, TestApp } from '../utils/test-app';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('operations (API.md §10)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('request pipeline', () => {
    it('has no global interceptor and only its own global guards (no rxjs chain per request)', () => {
      // nestjs-cls registers pass-through enhancers even when unmounted; configureApp drops
      // them (docs/architecture.md). If an upgrade changes where Nest keeps them, this fails.
      const config = (t.app as unknown as { config: ApplicationConfig }).config;
      expect(config).toBeInstanceOf(ApplicationConfig);
      expect(config.getGlobalInterceptors()).toEqual([]);
      expect(config.getGlobalGuards().map((g) => g.constructor.name)).toEqual([
        'RequestGuard',
        'BearerGuard',
      ]);
    });
  });

  describe('health', () => {
    it('GET /health/live answers 200 without a token', async () => {
      const res = await t.request({ method: 'GET', url: '/health/live', correlationId: 'live-1' });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('ok');
      expect(res.headers['x-correlation-id']).toBe('live-1');
      expect(res.headers['x-request-id']).toMatch(UUID_V7);
    });

    it('GET /health/ready reports the database and the migrations', async () => {
      const res = await t.request({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, migrations: { status: 'up' } },
      });
    });
  });

  describe('metrics', () => {
    it('GET /metrics is Prometheus text with the request histogram', async () => {
      await t.request({ method: 'GET', url: '/health/live' });
      await t.request({ method: 'GET', url: `/${t.tenant}/v2/Users` });
      const res = await t.request({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.body).toMatch(/^# HELP /m);
      expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(res.body).toMatch(
        /^http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/m,
      );
      // Routes are labelled by pattern, never by the concrete path (tenant names, ids).
      expect(res.body).toMatch(/route="\/:tenant\/v2\/Users",status="401"/);
      expect(res.body).not.toContain(t.tenant);
    });
  });

  describe('OpenAPI', () => {
    let doc: Json;
    beforeAll(async () => {
      const res = await t.request({ method: 'GET', url: '/docs-json' });
      expect(res.statusCode).toBe(200);
      doc = res.json();
    });

    it('serves the UI at /docs', async () => {
      const res = await t.request({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toMatch(/swagger/i);
    });

    it('documents the SCIM list parameters, cursor included, on every list', () => {
      for (const path of ['Users', 'Devices', 'Organizations', 'AuditRecords']) {
        const list = (doc.paths as Json)[`/{tenant}/v2/${path}`].get as Json;
        const names = (list.parameters as Json[]).map((p) => p.name);
        expect(names).toEqual(
          expect.arrayContaining(['filter', 'sortBy', 'startIndex', 'count', 'cursor']),
        );
      }
    });

    it('describes the routes of the foundation with unique operation ids', () => {
      expect(doc.openapi).toMatch(/^3\./);
      const operations = Object.values(doc.paths as Json).flatMap((item: Json) =>
        METHODS.filter((m) => item[m]).map((m) => item[m] as Json),
      );
      const ids = operations.map((o) => o.operationId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(
        expect.arrayContaining([
          'issueToken',
          'getOpenIdConfiguration',
          'getJwks',
          'createUser',
          'getUser',
          'replaceUser',
          'patchUser',
          'deleteUser',
          'readAuditRecord',
          'getLiveness',
          'getReadiness',
          'getMetrics',
        ]),
      );
    });

    it('lists the X-Correlation-ID header and both response headers on every operation', () => {
      let count = 0;
      for (const [path, item] of Object.entries(doc.paths as Json)) {
        for (const method of METHODS.filter((m) => item[m])) {
          count++;
          const operation = item[method] as Json;
          const where = `${method.toUpperCase()} ${path}`;
          const header = (operation.parameters ?? []).find(
            (p: Json) => p.in === 'header' && p.name.toLowerCase() === 'x-correlation-id',
          );
          expect({ where, header }).toEqual({
            where,
            header: expect.objectContaining({
              required: false,
              schema: expect.objectContaining({ type: 'string', maxLength: 64, minLength: 1 }),
            }),
          });
          const responses = Object.entries(operation.responses ?? {});
          expect({ where, responses: responses.length }).not.toEqual({ where, responses: 0 });
          for (const [status, response] of responses) {
            const headers = Object.keys((response as Json).headers ?? {});
            expect({ where, status, headers }).toEqual({
              where,
              status,
              headers: expect.arrayContaining(['X-Correlation-ID', 'X-Request-ID']),
            });
          }
        }
      }
      expect(count).toBeGreaterThanOrEqual(15);
    });

    it('types correlationId, requestId and coi in the AuditRecord schema', () => {
      const schema = doc.components.schemas.AuditRecord;
      expect(schema.properties.correlationId).toMatchObject({ type: 'string' });
      expect(schema.properties.requestId).toMatchObject({ type: 'string', format: 'uuid' });
      expect(schema.properties.coi).toMatchObject({ type: 'string' });
      expect(schema.required).toEqual(expect.arrayContaining(['requestId']));
      expect(schema.required).not.toContain('correlationId');
    });

    it('documents the bearer scheme', () => {
      expect(Object.values(doc.components.securitySchemes ?? {})).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'http', scheme: 'bearer' })]),
      );
    });
  });

  it('honours CORRELATION_ID_MAX_LENGTH in the OpenAPI header schema', async () => {
    const app = await createTestApp({ CORRELATION_ID_MAX_LENGTH: '20' });
    try {
      const doc = (await app.request({ method: 'GET', url: '/docs-json' })).json();
      const operation = doc.paths['/{tenant}/v2/Users'].post;
      const header = operation.parameters.find((p: Json) => p.name === 'X-Correlation-ID');
      expect(header.schema.maxLength).toBe(20);
    } finally {
      await app.close();
    }
  });
});
