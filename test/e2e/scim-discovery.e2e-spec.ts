import { userBody } from '../factories/user';
import { createTestApp, TestApp, TestResponse, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const AUDIT_RECORD = 'urn:hid:scim:api:idp:2.0:AuditRecord';
const SPC_LIMITS = 'urn:hid:scim:api:idp:2.0:extension:ServiceProviderConfig';

describe('SCIM discovery and the Users search (API.md §6, §7)', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('u').replace(/-/g, '');

  const get = (path: string, bearer: string | null = token) =>
    t.request({ method: 'GET', url: `/${t.tenant}/v2/${path}`, token: bearer ?? undefined });
  const userNames = (res: TestResponse): string[] =>
    res.json().Resources.map((r: any) => r.userName);

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    token = await t.adminToken();
    const users = [
      userBody(`${run}bjensen`, {
        name: { familyName: 'Jensen', givenName: 'Barbara' },
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@home.example', type: 'home' },
        ],
      }),
      userBody(`${run}jsmith`, {
        name: { familyName: 'Smith' },
        emails: [{ value: 'jsmith@example.org', type: 'home' }],
        active: false,
      }),
      userBody(`${run}adoe`, { title: 'Tour Guide' }),
      userBody(`${run}Zed`),
      userBody(`${run}mike`),
    ];
    for (const payload of users) {
      const res = await t.request({ method: 'POST', url: `/${t.tenant}/v2/Users`, token, payload });
      expect(res.statusCode).toBe(201);
    }
    const other = await t.adminToken(t.tenants[1]);
    await t.request({
      method: 'POST',
      url: `/${t.tenants[1]}/v2/Users`,
      token: other,
      payload: userBody(`${run}bjensen`),
    });
  });
  afterAll(() => t.close());

  describe('ServiceProviderConfig, Schemas, ResourceTypes', () => {
    it('describes filter, sort, patch, etag, paging and bulk limits', async () => {
      const res = await get('ServiceProviderConfig');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/scim\+json/);
      expect(res.json()).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig', SPC_LIMITS],
        patch: { supported: true },
        filter: { supported: true, maxResults: 1000 },
        sort: { supported: true },
        etag: { supported: true },
        bulk: { supported: false, maxOperations: 10_000, maxPayloadSize: 10_485_760 },
        pagination: {
          cursor: true,
          index: true,
          defaultPaginationMethod: 'index',
          defaultPageSize: 100,
          maxPageSize: 1000,
          cursorTimeout: 86_400,
        },
        authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
        [SPC_LIMITS]: { filter: { maxLength: 4096, maxDepth: 20, maxComparisons: 100 } },
        meta: { resourceType: 'ServiceProviderConfig' },
      });
      // RFC 7643 §5 names the members of `filter`; ours live under the extension.
      expect(Object.keys(res.json().filter).sort()).toEqual(['maxResults', 'supported']);
    });

    it('lists the schemas and serves each by its URN', async () => {
      const res = await get('Schemas');
      expect(res.json().totalResults).toBe(5);
      expect(res.json().Resources.map((s: any) => s.id)).toEqual([
        USER,
        AUDIT_RECORD,
        'urn:hid:scim:api:idp:2.0:Device',
        'urn:hid:scim:api:idp:2.0:Organization',
        SPC_LIMITS,
      ]);
      const audit = await get(`Schemas/${AUDIT_RECORD}`);
      expect(audit.statusCode).toBe(200);
      const names = audit.json().attributes.map((a: any) => a.name);
      expect(names).toEqual(
        expect.arrayContaining(['correlationId', 'requestId', 'coi', 'action']),
      );
      const user = await get(`Schemas/${USER}`);
      const userName = user.json().attributes.find((a: any) => a.name === 'userName');
      expect(userName).toMatchObject({ type: 'string', required: true, uniqueness: 'server' });
      expect((await get('Schemas/urn:nope')).statusCode).toBe(404);
    });

    it('lists the resource types with their endpoints', async () => {
      const res = await get('ResourceTypes');
      expect(res.json().Resources).toEqual([
        expect.objectContaining({ id: 'User', endpoint: '/Users', schema: USER }),
        expect.objectContaining({
          id: 'AuditRecord',
          endpoint: '/AuditRecords',
          schema: AUDIT_RECORD,
        }),
        expect.objectContaining({ id: 'Device', endpoint: '/Devices' }),
        expect.objectContaining({ id: 'Organization', endpoint: '/Organizations' }),
      ]);
      expect((await get('ResourceTypes/AuditRecord')).json().endpoint).toBe('/AuditRecords');
      // Every resource type's schema is served, so a client can describe every list it pages.
      for (const type of res.json().Resources) {
        expect((await get(`Schemas/${type.schema}`)).statusCode).toBe(200);
      }
    });

    it('needs a token of the tenant but no scope, and takes no filter', async () => {
      expect((await get('ServiceProviderConfig', null)).statusCode).toBe(401);
      const narrow = await t.adminToken(t.tenant, 'users:read');
      expect((await get('ResourceTypes', narrow)).statusCode).toBe(200);
      expect((await get('Schemas?filter=id%20pr')).statusCode).toBe(403);
    });
  });

  it('documents the search operations in OpenAPI, with the correlation headers', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
    const search = doc.paths['/{tenant}/v2/AuditRecords/.search'].post;
    expect(search.operationId).toBe('searchAuditRecords');
    expect(search.parameters.map((p: any) => p.name)).toContain('X-Correlation-ID');
    expect(doc.paths['/{tenant}/v2/AuditRecords'].get.operationId).toBe('listAuditRecords');
    expect(doc.paths['/{tenant}/v2/AuditRecords/{id}'].get.responses['200'].content).toBeDefined();
    expect(doc.paths['/{tenant}/v2/Events/.search'].post.operationId).toBe('searchEvents');
    expect(doc.paths['/{tenant}/v2/ServiceProviderConfig'].get).toBeDefined();
    expect(doc.components.schemas.AuditRecord.properties.coi).toBeDefined();
  });

  describe('/Users with the same filter engine', () => {
    const users = (query: string) => get(`Users?${query}`);
    const search = (body: Record<string, unknown>) =>
      t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users/.search`,
        token,
        payload: { schemas: [SEARCH_REQUEST], ...body },
      });

    it.each([
      [`userName eq ${'$'}{run}BJENSEN`, ['bjensen']],
      [
        `userName sw "${'$'}{run}" and emails[type eq "work" and value ew "@example.com"]`,
        ['bjensen'],
      ],
      [`userName sw "${'$'}{run}" and emails.value co "example.org"`, ['jsmith']],
      [`userName sw "${'$'}{run}" and name.familyName sw "j"`, ['bjensen']],
      [`userName sw "${'$'}{run}" and active eq false`, ['jsmith']],
      [`userName sw "${'$'}{run}" and not (emails pr)`, ['adoe', 'Zed', 'mike']],
      [`userName sw "${'$'}{run}" and title co "guide"`, ['adoe']],
      [
        `userName sw "${'$'}{run}" and meta.created gt "2020-12-15T00:00:00Z" and (title pr or name.givenName eq "barbara")`,
        ['bjensen', 'adoe'],
      ],
    ])('GET ?filter=%s', async (template, expected) => {
      const filter = template.replace(/\$\{run\}/g, run);
      const res = await users(`filter=${encodeURIComponent(filter)}`);
      expect(res.statusCode).toBe(200);
      expect(userNames(res)).toEqual(expected.map((n) => `${run}${n}`));
    });

    it('answers POST .search the same, and stays in its tenant', async () => {
      const res = await search({ filter: `userName eq "${run}bjensen"`, startIndex: 0 });
      expect(res.json()).toMatchObject({ totalResults: 1, startIndex: 1 });
      expect(res.json().Resources[0].meta.location).toContain(`/${t.tenant}/v2/Users/`);
    });

    it('refuses bad filters with 400 invalidFilter and a bad SearchRequest with invalidValue', async () => {
      const bad = await users(`filter=${encodeURIComponent('userName eq')}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().scimType).toBe('invalidFilter');
      const unknown = await search({ filter: 'password eq "x"' });
      expect(unknown.json()).toMatchObject({ scimType: 'invalidFilter' });
      const wrongSchema = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users/.search`,
        token,
        payload: { schemas: [USER], filter: 'userName pr' },
      });
      expect(wrongSchema.json().scimType).toBe('invalidValue');
    });

    it('pages users by cursor in sortBy order', async () => {
      const filter = `userName sw "${run}"`;
      const names: string[] = [];
      let cursor: string | undefined = '';
      while (cursor !== undefined) {
        const res = await search({ filter, sortBy: 'userName', cursor, count: 2 });
        expect(res.json().totalResults).toBe(5);
        names.push(...userNames(res));
        cursor = res.json().nextCursor;
      }
      // userName is caseExact=false, so it sorts case-insensitively.
      expect(names).toEqual(['adoe', 'bjensen', 'jsmith', 'mike', 'Zed'].map((n) => `${run}${n}`));
    });
  });
});
