import { createUser, userBody } from '../factories/user';
import { expectScimError, LIST_SCHEMA } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId, USER_SCHEMA } from '../utils/test-app';

type Json = Record<string, any>;

describe('SCIM Users (API.md §1, §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));

  describe('list', () => {
    const prefix = uniqueId('list').toLowerCase();
    const names = ['c', 'a', 'e', 'b', 'd'].map((s) => `${prefix}-${s}`);
    const filter = encodeURIComponent(`userName sw "${prefix}"`);
    const list = async (query: string): Promise<Json> => {
      const res = await send({ method: 'GET', url: `${users}?${query}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      return res.json();
    };

    beforeAll(async () => {
      for (const name of names)
        await createUser(t, { userName: name, title: name.endsWith('a') ? 'Lead' : 'Dev' });
    });

    it('returns a ListResponse in creation order by default', async () => {
      const page = await list(`filter=${filter}`);
      expect(page).toMatchObject({
        schemas: [LIST_SCHEMA],
        totalResults: 5,
        startIndex: 1,
        itemsPerPage: 5,
      });
      expect(page.Resources.map((u: Json) => u.userName)).toEqual(names);
    });

    it('pages with startIndex and count', async () => {
      const page = await list(`filter=${filter}&startIndex=2&count=2`);
      expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(page.Resources.map((u: Json) => u.userName)).toEqual(names.slice(1, 3));
    });

    it('reads startIndex 0 (and below) as 1', async () => {
      for (const startIndex of ['0', '-3']) {
        const page = await list(`filter=${filter}&startIndex=${startIndex}&count=1`);
        expect(page.startIndex).toBe(1);
        expect(page.Resources[0].userName).toBe(names[0]);
      }
    });

    it('count 0 returns only totalResults', async () => {
      const page = await list(`filter=${filter}&count=0`);
      expect(page).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
      expect(page.Resources ?? []).toEqual([]);
    });

    it('sorts with sortBy and sortOrder', async () => {
      const page = await list(`filter=${filter}&sortBy=userName&sortOrder=descending`);
      expect(page.Resources.map((u: Json) => u.userName)).toEqual([...names].sort().reverse());
      const asc = await list(`filter=${filter}&sortBy=USERNAME`);
      expect(asc.Resources.map((u: Json) => u.userName)).toEqual([...names].sort());
    });

    it('filters with the SCIM filter language', async () => {
      const page = await list(
        `filter=${encodeURIComponent(`userName sw "${prefix}" and title eq "lead"`)}`,
      );
      expect(page.Resources.map((u: Json) => u.userName)).toEqual([`${prefix}-a`]);
      const none = await list(`filter=${encodeURIComponent('userName eq "nobody-at-all"')}`);
      expect(none).toMatchObject({ totalResults: 0, itemsPerPage: 0 });
    });

    it('POST .search takes the same parameters in a SearchRequest', async () => {
      const res = await send({
        method: 'POST',
        url: `${users}/.search`,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter: `userName sw "${prefix}"`,
          startIndex: 2,
          count: 1,
          sortBy: 'userName',
          attributes: ['userName'],
        },
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 1 });
      expect(page.Resources).toEqual([
        { schemas: [USER_SCHEMA], id: expect.any(String), userName: `${prefix}-b` },
      ]);
    });

    it.each([
      ['a broken filter', `filter=${encodeURIComponent('userName eq')}`, 'invalidFilter'],
      [
        'an unknown filter attribute',
        `filter=${encodeURIComponent('shoeSize eq 3')}`,
        'invalidFilter',
      ],
      ['a non-integer count', 'count=ten', 'invalidValue'],
      ['an unknown sortOrder', 'sortBy=userName&sortOrder=sideways', 'invalidValue'],
    ])('%s is 400', async (_label, query, scimType) => {
      expectScimError(await send({ method: 'GET', url: `${users}?${query}` }), 400, scimType);
    });

    it('caps count at 1000 and defaults it to 100', async () => {
      const bulk = uniqueId('bulk').toLowerCase();
      await t.db.query(
        `INSERT INTO users (id, tenant_id, user_name, resource)
         SELECT gen_random_uuid(), $1, $2 || '-' || lpad(i::text, 4, '0'), '{}'::jsonb
         FROM generate_series(1, 1001) AS i`,
        [t.tenant, bulk],
      );
      const bulkFilter = encodeURIComponent(`userName sw "${bulk}"`);
      const capped = await list(`filter=${bulkFilter}&count=5000`);
      expect(capped).toMatchObject({ totalResults: 1001, itemsPerPage: 1000 });
      expect(capped.Resources).toHaveLength(1000);
      const byDefault = await list(`filter=${bulkFilter}`);
      expect(byDefault).toMatchObject({ totalResults: 1001, itemsPerPage: 100 });
    });

    it("never lists another tenant's users", async () => {
      const page = (
        await t.request({
          method: 'GET',
          url: `/${t.tenants[1]}/v2/Users?filter=${filter}`,
          token: await t.adminToken(t.tenants[1]),
        })
      ).json();
      expect(page.totalResults).toBe(0);
    });
  });

  describe('media types', () => {
    it('accepts application/scim+json and application/json, answers application/scim+json', async () => {
      for (const type of ['application/scim+json', 'application/json; charset=utf-8']) {
        const res = await send({
          method: 'POST',
          url: users,
          headers: { 'content-type': type },
          payload: userBody(uniqueId()),
        });
        expect(res.statusCode).toBe(201);
        expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      }
    });

    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])(
      'refuses %s with 415 in the SCIM error format, changing nothing',
      async (type) => {
        const userName = uniqueId('media');
        const res = await send({
          method: 'POST',
          url: users,
          headers: { 'content-type': type },
          payload: JSON.stringify(userBody(userName)),
        });
        expectScimError(res, 415);
        const rows = await t.db.query('SELECT 1 FROM users WHERE user_name = $1', [userName]);
        expect(rows).toHaveLength(0);
      },
    );
  });
});
