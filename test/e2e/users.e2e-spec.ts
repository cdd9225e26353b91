import { createTestApp, InjectOptions, TestApp, uniqueId, userBody } from '../utils/test-app';

describe('SCIM Users (API.md §1, §7)', () => {
  let t: TestApp;
  let token: string;
  let users: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.adminToken();
    users = `/${t.tenant}/v2/Users`;
  });
  afterAll(() => t.close());

  const send = (o: InjectOptions) => t.request({ token, ...o });

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
        expect(res.statusCode).toBe(415);
        expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
        expect(res.json()).toMatchObject({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '415',
        });
        const rows = await t.db.query('SELECT 1 FROM users WHERE user_name = $1', [userName]);
        expect(rows).toHaveLength(0);
      },
    );
  });
});
