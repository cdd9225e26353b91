import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { IS_PUBLIC, REQUIRED_SCOPES } from '../../src/common/access.decorators';
import { CLIENT_CONFIGURATION_SCOPE } from '../../src/client-registration/registration-access.guard';
import { AUDIT_ROUTE_CONFIG_KEY } from '../../src/audit/audit-action.decorator';
import { ClientKit } from '../factories/client';
import { listen, responseHead } from '../utils/http';
import { ADMIN_SECRET, createTestApp, TestApp, TestResponse } from '../utils/test-app';

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  scopes: string[];
  action?: string;
  /** Documented as answering with an endless `text/event-stream` (the audit tail). */
  eventStream: boolean;
}

const DUMMY_ID = '00000000-0000-7000-8000-000000000000';
/** Where @nestjs/swagger keeps a handler's documented responses (`@ApiOkResponse`). */
const API_RESPONSE = 'swagger/apiResponse';

/** Whether a handler's documented responses include a `text/event-stream` body. */
function answersWithEventStream(handler: object): boolean {
  const responses = (Reflect.getMetadata(API_RESPONSE, handler) ?? {}) as Record<
    string,
    { content?: Record<string, unknown> }
  >;
  return Object.values(responses).some((r) => 'text/event-stream' in (r.content ?? {}));
}

/**
 * Every tenant route the application serves, read from the controllers' metadata rather
 * than listed by hand, so a route added later is checked without anyone remembering to.
 * Routes that authenticate their caller themselves (token endpoint, discovery) are left
 * out; the RFC 7592 routes are in, with the scope an admin token needs there.
 */
function tenantRoutes(t: TestApp): { routes: Route[]; unscoped: string[] } {
  const routes: Route[] = [];
  const unscoped: string[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (sub === undefined) continue;
        const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`;
        if (!path.startsWith('/:tenant/')) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const configurationScope = Reflect.getMetadata(CLIENT_CONFIGURATION_SCOPE, handler) as
          string | undefined;
        const isPublic = !!(
          Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller)
        );
        if (isPublic && !configurationScope) continue;
        const scopes: string[] = configurationScope
          ? [configurationScope]
          : (Reflect.getMetadata(REQUIRED_SCOPES, handler) ??
            Reflect.getMetadata(REQUIRED_SCOPES, controller) ??
            []);
        const route: Route = {
          method: method as Route['method'],
          path,
          scopes,
          action: Reflect.getMetadata(AUDIT_ROUTE_CONFIG_KEY, handler) as string | undefined,
          eventStream: answersWithEventStream(handler),
        };
        if (scopes.length === 0) unscoped.push(`${route.method} ${path}`);
        routes.push(route);
      }
    }
  }
  return { routes, unscoped };
}

describe('scope enforcement on every route, with registered clients', () => {
  let t: TestApp;
  let kit: ClientKit;
  let routes: Route[];
  let unscoped: string[];

  beforeAll(async () => {
    t = await createTestApp();
    kit = new ClientKit(t);
    kit.remember(ADMIN_SECRET, await t.adminToken());
    ({ routes, unscoped } = tenantRoutes(t));
  });
  afterAll(() => t.close());

  const send = async (
    route: Route,
    token: string,
    correlationId: string,
  ): Promise<Pick<TestResponse, 'statusCode' | 'headers'>> => {
    const url = route.path.replace(':tenant', t.tenant).replace(/:[A-Za-z]+/g, DUMMY_ID);
    // An event stream never ends once it is open: its answer is its status and headers, read
    // over a socket that is then closed (the authorization decision is made before the head).
    if (route.eventStream) {
      return responseHead(await listen(t.app), route.method, url, {
        authorization: `Bearer ${token}`,
        'x-correlation-id': correlationId,
      });
    }
    return kit.call({
      method: route.method,
      url,
      token,
      correlationId,
      ...(route.method === 'GET' || route.method === 'DELETE'
        ? {}
        : { payload: {}, headers: { 'content-type': 'application/json' } }),
    });
  };

  it('finds the routes, and every one of them needs a scope', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /:tenant/v2/Users',
        'DELETE /:tenant/v2/Users/:id',
        'GET /:tenant/v2/AuditRecords',
        'POST /:tenant/authn/register',
        'PUT /:tenant/authn/register/:clientId',
      ]),
    );
    // SCIM discovery (RFC 7644 §4) needs a token of the tenant but no particular scope:
    // API.md §3 names no scope for it, and every client may learn what the server supports.
    expect(unscoped).toEqual([
      'GET /:tenant/v2/ServiceProviderConfig',
      'GET /:tenant/v2/Schemas',
      'GET /:tenant/v2/Schemas/:id',
      'GET /:tenant/v2/ResourceTypes',
      'GET /:tenant/v2/ResourceTypes/:id',
      // The root search (RFC 7644 §3.4.3) reads whatever types the token's scopes allow.
      'POST /:tenant/v2/.search',
    ]);
  });

  it('a client holding only users:read gets 403 wherever another scope is needed, recorded on writes', async () => {
    const limited = await kit.client({ scope: 'users:read' });
    const token = await kit.accessToken(limited);
    kit.remember(token);
    const denied: string[] = [];
    for (const route of routes) {
      const correlationId = `scopes-${randomBytes(5).toString('hex')}`;
      const res = await send(route, token, correlationId);
      const name = `${route.method} ${route.path}`;
      if (route.scopes.every((s) => s === 'users:read')) {
        expect([name, res.statusCode]).not.toEqual([name, 401]);
        expect([name, res.statusCode]).not.toEqual([name, 403]);
        continue;
      }
      denied.push(name);
      expect([name, res.statusCode]).toEqual([name, 403]);
      const missing = route.scopes.filter((s) => s !== 'users:read').join(' ');
      expect(res.headers['www-authenticate']).toContain(`error="insufficient_scope"`);
      expect(res.headers['www-authenticate']).toContain(`scope="${missing}"`);
      if (route.method !== 'GET' && route.action) {
        const records = await t.recordsFor(correlationId);
        expect([name, records.length]).toEqual([name, 1]);
        expect(records[0]).toMatchObject({
          action_name: route.action,
          result: 'RESPONSE_FAILURE',
          acting_user_id: limited.client_id,
          return_value: { status: '403', error: 'insufficient_scope' },
        });
      }
    }
    expect(denied).toEqual(
      expect.arrayContaining([
        'POST /:tenant/v2/Users',
        'GET /:tenant/v2/AuditRecords',
        'GET /:tenant/v2/AuditRecords/:id',
        'POST /:tenant/authn/register',
      ]),
    );
  });

  it("every route opens to a client that holds the route's scopes and nothing else", async () => {
    const tokens = new Map<string, string>();
    for (const route of routes) {
      const scope = [...route.scopes].sort().join(' ');
      if (!tokens.has(scope)) {
        const client = await kit.client({ scope });
        tokens.set(scope, await kit.accessToken(client));
      }
      const res = await send(
        route,
        tokens.get(scope) ?? '',
        `scopes-${randomBytes(5).toString('hex')}`,
      );
      const name = `${route.method} ${route.path}`;
      expect([name, res.statusCode]).not.toEqual([name, 401]);
      expect([name, res.statusCode]).not.toEqual([name, 403]);
      if (route.eventStream) {
        // Opened, not merely not refused: the stream started.
        expect([name, res.statusCode, res.headers['content-type']]).toEqual([
          name,
          200,
          expect.stringMatching(/^text\/event-stream/),
        ]);
      }
    }
    expect(routes.filter((r) => r.eventStream).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /:tenant/v2/AuditRecords/.tail',
    ]);
    kit.remember(...tokens.values());
  });

  it('no issued secret or token appears in a log line, an audit record or an error body', async () => {
    expect(kit.secrets.size).toBeGreaterThan(5);
    expect(await kit.leaks()).toEqual([]);
  });
});
