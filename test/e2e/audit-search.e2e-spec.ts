import { userBody } from '../factories/user';
import { recordAs } from '../utils/audit-seed';
import { createTestApp, TestApp, TestResponse, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
// The correlation id of HID's documentation sample.
const HID_ID = 'f058ebd6-02f7-4d3f-942e-904344e8cde5';

describe('audit search (API.md §6)', () => {
  let t: TestApp;
  let token: string;
  let tenantB: string;
  const run = uniqueId('run');
  const importCall = `${run}-import`;
  const coi = `COI${run.replace(/-/g, '').toUpperCase()}`;

  const search = (body: Record<string, unknown>, tenant = t.tenant, bearer = token) =>
    t.request({
      method: 'POST',
      url: `/${tenant}/v2/AuditRecords/.search`,
      token: bearer,
      payload: { schemas: [SEARCH_REQUEST], ...body },
    });
  const list = (query: Record<string, string>, tenant = t.tenant) =>
    t.request({
      method: 'GET',
      url: `/${tenant}/v2/AuditRecords?${new URLSearchParams(query).toString()}`,
      token,
    });
  const resources = (res: TestResponse): any[] => res.json().Resources;
  const ids = (res: TestResponse): string[] => resources(res).map((r) => r.id);
  const names = (res: TestResponse): string[] =>
    resources(res).map((r) => r.action.actionName as string);
  const expectInvalidFilter = (res: TestResponse, detail: RegExp) => {
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      schemas: [ERROR],
      status: '400',
      scimType: 'invalidFilter',
    });
    expect(res.json().detail).toMatch(detail);
  };

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    tenantB = t.tenants[1];
    token = await t.adminToken();
    const created = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      correlationId: HID_ID,
      payload: userBody(`bjensen-${run}`),
    });
    expect(created.statusCode).toBe(201);
    await recordAs(t, { correlationId: HID_ID }, 'updateUser', {
      target: { id: `bjensen-${run}`, immutableId: created.json().id },
      parameters: { method: 'PATCH' },
    });
    // A long-running import: one call, one COI over every record of the operation.
    const actor = { id: `${t.tenant}-admin`, session: { id: `${run}-jti` } };
    await recordAs(t, { correlationId: importCall, coi, actor }, 'importUsers', {
      parameters: { step: 'start', importSize: 3 },
    });
    for (const n of [1, 2, 3]) {
      await recordAs(t, { correlationId: importCall, coi, actor }, 'createUser', {
        target: {
          id: `imported-${n}-${run}`,
          immutableId: `00000000-0000-4000-8000-00000000000${n}`,
        },
      });
    }
    await recordAs(t, { correlationId: importCall, coi, actor }, 'importUsers', {
      parameters: { step: 'end', nbImported: 3, nbFailed: 0 },
    });
    // Messages with LIKE wildcards and escapes, which must match only literally.
    for (const message of [
      'Quota at 100% now',
      'Quota at 1000 now',
      'snake_case here',
      'snakeXcase here',
      'back\\slash',
      'backslash',
    ]) {
      await recordAs(t, { correlationId: `${run}-msg` }, 'primaryAuthenticateUP', { message });
    }
    await recordAs(t, { correlationId: `${run}-b` }, 'deleteUser', {}, tenantB);
  });
  afterAll(() => t.close());

  describe('HID compatibility', () => {
    it("answers HID's sample request: unquoted filter and startIndex 0", async () => {
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/AuditRecords/.search`,
        token,
        headers: { 'content-type': 'application/scim+json' },
        payload: `{"schemas":["${SEARCH_REQUEST}"],"filter":"correlationId eq ${HID_ID}","startIndex":0,"count":10}`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const body = res.json();
      expect(body).toMatchObject({
        schemas: [LIST_RESPONSE],
        totalResults: 2,
        startIndex: 1,
        itemsPerPage: 2,
      });
      expect(names(res)).toEqual(['createUser', 'updateUser']);
      for (const record of body.Resources) {
        expect(record.correlationId).toBe(HID_ID);
        expect(record.schemas).toEqual(['urn:hid:scim:api:idp:2.0:AuditRecord']);
        expect(record.meta.resourceType).toBe('AuditRecord');
      }
      expect(body.Resources[0].targetUserId.id).toBe(`bjensen-${run}`);
    });

    it('accepts the quoted form and GET with the same parameters', async () => {
      const quoted = await search({ filter: `correlationId eq "${HID_ID}"` });
      const get = await list({ filter: `correlationId eq ${HID_ID}`, startIndex: '0' });
      expect(get.statusCode).toBe(200);
      expect(ids(get)).toEqual(ids(quoted));
      expect(get.json().totalResults).toBe(2);
    });

    it('answers no match with 200 and totalResults 0', async () => {
      const res = await search({ filter: 'correlationId eq no-such-id' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        schemas: [LIST_RESPONSE],
        totalResults: 0,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
    });
  });

  describe('COI', () => {
    it('finds every record of an operation by action.actionParameters.COI and by coi', async () => {
      const deep = await search({ filter: `action.actionParameters.COI eq "${coi}"` });
      const typed = await search({ filter: `coi eq ${coi}` });
      expect(deep.json().totalResults).toBe(5);
      expect(ids(typed)).toEqual(ids(deep));
      expect(names(deep)).toEqual([
        'importUsers',
        'createUser',
        'createUser',
        'createUser',
        'importUsers',
      ]);
      for (const r of resources(deep)) {
        expect(r.coi).toBe(coi);
        expect(r.action.actionParameters.COI).toBe(coi);
        expect(r.correlationId).toBe(importCall);
      }
    });

    it('reads any other action parameter through the map, key as written', async () => {
      const res = await search({
        filter: `action.actionParameters.step eq "end" and coi eq "${coi}"`,
      });
      expect(resources(res).map((r) => r.action.actionParameters.nbImported)).toEqual(['3']);
      const wrongCase = await search({
        filter: `action.actionParameters.STEP eq "end" and coi eq "${coi}"`,
      });
      expect(wrongCase.json().totalResults).toBe(0);
    });

    it('stores a COI given only as a parameter in the typed column too', async () => {
      const own = `${run}-param-coi`;
      await recordAs(t, { correlationId: own }, 'indirectDeliverChallenge', {
        parameters: { COI: `${own}-X` },
      });
      const res = await search({ filter: `coi eq "${own}-X"` });
      expect(res.json().totalResults).toBe(1);
      expect(resources(res)[0].coi).toBe(`${own}-X`);
    });
  });

  describe('filter language', () => {
    const count = async (filter: string) => {
      const res = await search({ filter, count: 0 });
      expect(res.statusCode).toBe(200);
      return res.json().totalResults as number;
    };
    const scoped = (filter: string) => `correlationId eq "${importCall}" and (${filter})`;

    it.each([
      ['action.actionName eq "createUser"', 3],
      ['action.actionName ne "createUser"', 2],
      ['targetUserId.id co "imported-2"', 1],
      ['targetUserId.id sw "imported-"', 3],
      [`targetUserId.id ew "-${run}"`, 3],
      ['targetUserId.id ew "-nope"', 0],
      ['targetUserId.immutableId pr', 3],
      ['not (targetUserId.id pr)', 2],
      ['targetUserId.id eq null', 2],
      ['targetUserId.id gt "imported-1-~"', 2],
      ['targetUserId.id le "imported-2~"', 2],
      ['action[actionName eq "importUsers"]', 2],
      ['action[actionName eq "importUsers" and actionParameters.step eq "start"]', 1],
      ['actingUserId[id pr and session.id pr]', 5],
      ['actingUserId.session.id sw "run-"', 5],
      [`action.actionName eq "importUsers" or targetUserId.id ew "3-${run}"`, 3],
      ['result eq "RESPONSE_SUCCESS" and not (action.actionName eq "createUser")', 2],
      ['service.id eq "CH_DIRECT"', 5],
      ['meta.created le "2999-01-01T00:00:00Z" and created gt "2020-12-15T00:00:00Z"', 5],
      ['created lt "2020-12-15T00:00:00+02:00"', 0],
    ])('%s', async (filter, expected) => {
      expect(await count(scoped(filter))).toBe(expected);
    });

    it('binds and > or > not precedence as RFC 7644 says', async () => {
      // a or b and c  ==  a or (b and c)
      const filter = scoped(
        'action.actionName eq "importUsers" or action.actionName eq "createUser" and targetUserId.id sw "imported-1"',
      );
      expect(await count(filter)).toBe(3);
      expect(
        await count(
          scoped(
            '(action.actionName eq "importUsers" or action.actionName eq "createUser") and targetUserId.id sw "imported-1"',
          ),
        ),
      ).toBe(1);
    });

    it('ignores case in attribute names and operators, never in ids', async () => {
      expect(await count(`CORRELATIONID EQ "${importCall}"`)).toBe(5);
      expect(await count(`correlationid Eq "${importCall.toUpperCase()}"`)).toBe(0);
      expect(await count(`ACTION.ACTIONNAME eq "createuser"`)).toBe(0);
    });

    it('compares message case-insensitively', async () => {
      expect(await count(`correlationId eq "${run}-msg" and message co "QUOTA AT"`)).toBe(2);
      expect(await count(`correlationId eq "${run}-msg" and message eq "BACKSLASH"`)).toBe(1);
    });

    it('compares created as an instant, whatever the offset', async () => {
      const res = await search({ filter: `correlationId eq "${importCall}"` });
      const first = resources(res)[0].created as string;
      const ms = Date.parse(first);
      const plusTwo = new Date(ms + 2 * 3600_000).toISOString().replace('Z', '+02:00');
      expect(await count(scoped(`created eq "${plusTwo}"`))).toBeGreaterThanOrEqual(1);
      expect(await count(scoped(`created ge "${first}"`))).toBe(5);
      expect(await count(scoped(`created lt "${first}"`))).toBe(0);
    });

    it.each([
      ['message co "100%"', ['Quota at 100% now']],
      ['message co "%"', ['Quota at 100% now']],
      ['message sw "snake_"', ['snake_case here']],
      ['message co "_"', ['snake_case here']],
      ['message ew "\\\\slash"', ['back\\slash']],
      ['message co "\\\\"', ['back\\slash']],
    ])('matches %s literally', async (filter, expected) => {
      const res = await search({ filter: `correlationId eq "${run}-msg" and ${filter}` });
      expect(resources(res).map((r) => r.message)).toEqual(expected);
    });

    it.each([
      `x' OR '1'='1`,
      `x" or "1" eq "1`,
      `'; DROP TABLE audit_records; --`,
      `x') OR tenant_id IS NOT NULL --`,
      `$1`,
      `x\\' UNION SELECT * FROM clients --`,
    ])('treats %j as a value and nothing else', async (value) => {
      const res = await search({ filter: `correlationId eq ${JSON.stringify(value)}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().totalResults).toBe(0);
    });

    it('never lets a bare value change the structure', async () => {
      const res = await search({ filter: `correlationId eq x'OR'1'='1` });
      expect(res.statusCode).toBe(200);
      expect(res.json().totalResults).toBe(0);
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM audit_records');
      expect(n).toBeGreaterThan(0);
    });
  });

  describe('bad filters: 400 invalidFilter with what and where', () => {
    it.each([
      ['correlationId eq', /expected a value.*position 16/],
      ['correlationId xx "a"', /expected a comparison operator.*position 14/],
      ['(correlationId eq "a"', /expected "\)" to close the "\(" at position 0/],
      ['correlationId eq "a" and', /expected an attribute name.*position 24/],
      ['correlationId eq "a" )', /unbalanced "\)" at position 21/],
      ['correlationId eq "unterminated', /unterminated string starting at position 17/],
      ['tenantId eq "other"', /unknown attribute "tenantId" at position 0/],
      ['action.nope eq "x"', /unknown attribute "action.nope"/],
      ['created co "2020"', /operator "co" is not valid for dateTime attribute "created"/],
      ['created gt "yesterday"', /invalid date-time "yesterday"/],
      ['correlationId eq true', /needs a string, found true/],
      ['correlationId gt null', /operator "gt" cannot be used with null/],
      ['action.actionParameters eq "x"', /is a map; compare one of its keys/],
      ['correlationId[value eq "x"]', /neither complex nor multi-valued/],
    ])('%s', async (filter, detail) => {
      expectInvalidFilter(await search({ filter }), detail);
    });

    it('refuses a filter longer than 4096 characters', async () => {
      const filter = `correlationId eq "${'a'.repeat(4080)}"`;
      expectInvalidFilter(await search({ filter }), /longer than 4096 characters/);
      const atLimit = `correlationId eq "${'a'.repeat(4096 - 19)}"`;
      expect(atLimit.length).toBe(4096);
      expect((await search({ filter: atLimit })).statusCode).toBe(200);
    });

    it('refuses nesting deeper than 20', async () => {
      const nest = (n: number) => `${'('.repeat(n)}correlationId eq "a"${')'.repeat(n)}`;
      expect((await search({ filter: nest(20) })).statusCode).toBe(200);
      expectInvalidFilter(
        await search({ filter: nest(21) }),
        /deeper than 20 levels at position 20/,
      );
      const nots = `${'not ('.repeat(21)}coi pr${')'.repeat(21)}`;
      expectInvalidFilter(await search({ filter: nots }), /deeper than 20 levels/);
    });

    it('refuses more than 100 comparisons', async () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => `coi eq "${i}"`).join(' or ');
      expect((await search({ filter: many(100) })).statusCode).toBe(200);
      expectInvalidFilter(await search({ filter: many(101) }), /more than 100 comparisons/);
    });

    it('answers a bad GET filter the same way, with the correlation id echoed', async () => {
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/AuditRecords?filter=${encodeURIComponent('coi eq')}`,
        token,
        correlationId: `${run}-bad-get`,
      });
      expectInvalidFilter(res, /expected a value/);
      expect(res.headers['x-correlation-id']).toBe(`${run}-bad-get`);
      expect(res.json().correlationId).toBe(`${run}-bad-get`);
    });
  });

  describe('tenant scoping', () => {
    it("never returns another tenant's records, whatever the filter", async () => {
      expect((await search({ filter: `correlationId eq "${run}-b"` })).json().totalResults).toBe(0);
      const all = await search({
        filter: 'not (correlationId eq "zzz") or correlationId eq null',
        count: 1000,
      });
      expect(resources(all).every((r) => r.tenantId === t.tenant)).toBe(true);
      const tokenB = await t.adminToken(tenantB);
      const fromB = await search({ filter: `correlationId eq "${run}-b"` }, tenantB, tokenB);
      expect(fromB.json().totalResults).toBe(1);
      expect(resources(fromB)[0].tenantId).toBe(tenantB);
    });

    it('refuses a token of another tenant with 403 and reveals nothing', async () => {
      const tokenB = await t.adminToken(tenantB);
      const res = await search({ filter: `correlationId eq "${HID_ID}"` }, t.tenant, tokenB);
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain(HID_ID);
    });

    it('needs the audit:read scope', async () => {
      const narrow = await t.adminToken(t.tenant, 'users:read');
      const res = await search({}, t.tenant, narrow);
      expect(res.statusCode).toBe(403);
      expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    });
  });

  describe('paging, sorting and projection', () => {
    const filter = () => `correlationId eq "${importCall}"`;

    it('orders by created, then id, by default', async () => {
      const res = await search({ filter: filter() });
      const rows = resources(res).map((r) => [r.created, r.id] as [string, string]);
      const sorted = [...rows].sort((a, b) =>
        a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1,
      );
      expect(rows).toEqual(sorted);
    });

    it('pages by startIndex and count', async () => {
      const all = ids(await search({ filter: filter() }));
      const page = await search({ filter: filter(), startIndex: 2, count: 2 });
      expect(page.json()).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(ids(page)).toEqual(all.slice(1, 3));
      const last = await search({ filter: filter(), startIndex: 5, count: 2 });
      expect(ids(last)).toEqual(all.slice(4));
      const beyond = await search({ filter: filter(), startIndex: 9, count: 2 });
      expect(beyond.json()).toMatchObject({ totalResults: 5, startIndex: 9, itemsPerPage: 0 });
    });

    it('reads startIndex below 1 as 1 and count 0 as totalResults only', async () => {
      const res = await search({ filter: filter(), startIndex: -5, count: 0 });
      expect(res.json()).toEqual({
        schemas: [LIST_RESPONSE],
        totalResults: 5,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
    });

    it('refuses a count or startIndex that is not an integer', async () => {
      const res = await search({ filter: filter(), count: 'ten' });
      expect(res.statusCode).toBe(400);
      expect(res.json().scimType).toBe('invalidValue');
      expect((await list({ startIndex: '1.5' })).json().scimType).toBe('invalidValue');
    });

    it('sorts by sortBy and sortOrder, with id breaking ties', async () => {
      const res = await search({
        filter: filter(),
        sortBy: 'targetUserId.id',
        sortOrder: 'descending',
      });
      const targets = resources(res).map((r) => r.targetUserId?.id ?? null);
      expect(targets).toEqual([
        `imported-3-${run}`,
        `imported-2-${run}`,
        `imported-1-${run}`,
        null,
        null,
      ]);
      const bad = await search({ filter: filter(), sortOrder: 'up' });
      expect(bad.json().scimType).toBe('invalidValue');
      const unknown = await search({ filter: filter(), sortBy: 'nope' });
      expect(unknown.statusCode).toBe(400);
    });

    it('projects attributes and excludedAttributes, always keeping id and schemas', async () => {
      const only = await search({
        filter: filter(),
        attributes: ['correlationId', 'action.actionName'],
      });
      expect(resources(only)[0]).toEqual({
        schemas: ['urn:hid:scim:api:idp:2.0:AuditRecord'],
        id: expect.any(String),
        correlationId: importCall,
        action: { actionName: 'importUsers' },
      });
      const without = await list({ filter: filter(), excludedAttributes: 'action,meta,id' });
      const first = resources(without)[0];
      expect(first.action).toBeUndefined();
      expect(first.meta).toBeUndefined();
      expect(first.id).toBeDefined();
      expect(first.correlationId).toBe(importCall);
    });

    it('caps count at 1000', async () => {
      const res = await search({ count: 5000 });
      expect(res.statusCode).toBe(200);
      expect(res.json().itemsPerPage).toBeLessThanOrEqual(1000);
    });
  });

  describe('one record', () => {
    it('reads a record by id, with projection', async () => {
      const [first] = resources(await search({ filter: `coi eq "${coi}"` }));
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/AuditRecords/${first.id}?attributes=coi`,
        token,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ schemas: first.schemas, id: first.id, coi });
    });

    it("answers 404 for an unknown id and for another tenant's record", async () => {
      const tokenB = await t.adminToken(tenantB);
      const [inB] = resources(
        await search({ filter: `correlationId eq "${run}-b"` }, tenantB, tokenB),
      );
      for (const id of [inB.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
        const res = await t.request({
          method: 'GET',
          url: `/${t.tenant}/v2/AuditRecords/${id}`,
          token,
        });
        expect(res.statusCode).toBe(404);
        expect(res.json().schemas).toEqual([ERROR]);
      }
    });
  });
});
