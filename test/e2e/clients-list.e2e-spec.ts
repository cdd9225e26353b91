import { ClientKit, RegisteredClient } from '../factories/client';
import { ADMIN_SECRET, createTestApp, TestApp } from '../utils/test-app';

const CIBA = 'urn:openid:params:grant-type:ciba';

describe('GET /{tenant}/v2/Clients: the registered clients, never their secrets', () => {
  let t: TestApp;
  let kit: ClientKit;
  let admin: string;
  let payroll: RegisteredClient;
  let ciba: RegisteredClient;
  const list = (query = '', token = admin, tenant = t.tenant) =>
    t.request({ method: 'GET', url: `/${tenant}/v2/Clients${query}`, token });

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    kit = new ClientKit(t);
    admin = await t.adminToken();
    kit.remember(ADMIN_SECRET, admin);
    payroll = await kit.client({ client_name: 'Payroll sync', scope: 'users:read' });
    ciba = await kit.client({
      client_name: 'Bank app',
      grant_types: [CIBA],
      scope: 'openid',
      backchannel_token_delivery_mode: 'poll',
    });
  });
  afterAll(() => t.close());

  it('lists every client of the tenant as a SCIM ListResponse', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = res.json();
    expect(body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 3,
      startIndex: 1,
      itemsPerPage: 3,
    });
    const ids = body.Resources.map((c: { client_id: string }) => c.client_id);
    expect(ids).toEqual([`${t.tenant}-admin`, payroll.client_id, ciba.client_id]);
    expect(body.Resources[1]).toEqual({
      schemas: ['urn:hid:scim:api:idp:2.0:Client'],
      id: payroll.client_id,
      client_id: payroll.client_id,
      client_name: 'Payroll sync',
      client_id_issued_at: payroll.client_id_issued_at,
      client_secret_expires_at: 0,
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'users:read',
      registration_client_uri: payroll.registration_client_uri,
      meta: {
        resourceType: 'Client',
        created: expect.any(String),
        lastModified: expect.any(String),
        location: payroll.registration_client_uri,
      },
    });
  });

  it('never shows a secret, a registration token or their digests', async () => {
    const text = (await list()).body;
    for (const secret of kit.secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/client_secret"|registration_access_token|digest/);
  });

  it('filters with the SCIM filter language', async () => {
    const byName = await list(`?filter=${encodeURIComponent('client_name eq "payroll SYNC"')}`);
    expect(byName.json().Resources.map((c: { id: string }) => c.id)).toEqual([payroll.client_id]);
    const byGrant = await list(`?filter=${encodeURIComponent('grant_types co "ciba"')}`);
    expect(byGrant.json().Resources.map((c: { id: string }) => c.id)).toEqual([
      `${t.tenant}-admin`,
      ciba.client_id,
    ]);
    const byMode = await list(
      `?filter=${encodeURIComponent('backchannel_token_delivery_mode eq "poll" and not (id eq "' + t.tenant + '-admin")')}`,
    );
    expect(byMode.json().Resources.map((c: { id: string }) => c.id)).toEqual([ciba.client_id]);
  });

  it('pages by index and by cursor', async () => {
    const second = (await list('?startIndex=2&count=1')).json();
    expect(second).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(second.Resources[0].id).toBe(payroll.client_id);
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const page = (await list(`?count=2&cursor=${encodeURIComponent(cursor)}`)).json();
      seen.push(...page.Resources.map((c: { id: string }) => c.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([`${t.tenant}-admin`, payroll.client_id, ciba.client_id]);
  });

  it('projects attributes', async () => {
    const res = await list('?attributes=client_name&count=1&startIndex=2');
    expect(res.json().Resources).toEqual([
      {
        schemas: ['urn:hid:scim:api:idp:2.0:Client'],
        id: payroll.client_id,
        client_name: 'Payroll sync',
      },
    ]);
  });

  it('refuses a bad filter with a SCIM error', async () => {
    const res = await list(`?filter=${encodeURIComponent('client_secret eq "x"')}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: '400', scimType: 'invalidFilter' });
  });

  it('needs clients:read, and a token of the tenant', async () => {
    expect((await t.request({ method: 'GET', url: `/${t.tenant}/v2/Clients` })).statusCode).toBe(
      401,
    );
    const usersOnly = await t.adminToken(t.tenant, 'users:read');
    expect((await list('', usersOnly)).statusCode).toBe(403);
    const readOnly = await t.adminToken(t.tenant, 'clients:read');
    expect((await list('', readOnly)).statusCode).toBe(200);
    expect((await list('', admin, t.tenants[1])).statusCode).toBe(403);
  });

  it('is in the OpenAPI document with its scope, query parameters and echo headers', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
    const op = doc.paths['/{tenant}/v2/Clients'].get;
    expect(op.operationId).toBe('listClients');
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['filter', 'startIndex', 'count', 'cursor', 'X-Correlation-ID']),
    );
    expect(op.description).toMatch(/clients:read/);
  });

  it("shows only the caller's tenant", async () => {
    const other = await t.adminToken(t.tenants[1]);
    const body = (await list('', other, t.tenants[1])).json();
    expect(body.Resources.map((c: { id: string }) => c.id)).toEqual([`${t.tenants[1]}-admin`]);
  });
});
