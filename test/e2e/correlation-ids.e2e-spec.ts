import { userBody } from '../factories/user';
import { listen, rawRequest, UUID_V7 } from '../utils/http';
import { ProbeModule } from '../utils/probe.module';
import { recordsOfRequest } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { createTestApp, TestApp, uniqueId } from '../utils/test-app';

describe('correlation (API.md §2)', () => {
  const s = useTestApp({ modules: [ProbeModule] });
  const { send } = s;
  let t: TestApp;
  let token: string;
  let users: string;
  beforeAll(() => ({ t, token, users } = s));
  afterEach(() => jest.restoreAllMocks());

  describe('an invalid id is refused, not echoed, not stored', () => {
    const invalid: [string, string][] = [
      ['empty', ''],
      ['65 characters', 'y'.repeat(65)],
      ['a space', 'has space'],
      ['a semicolon', 'semi;colon'],
      ['a non-ASCII letter', 'caf\u00e9'],
      ['a quote', 'a"b'],
    ];

    it.each(['/docs-json', '/docs'])(
      'is refused on the OpenAPI route %s too, which Nest guards do not see',
      async (url) => {
        const res = await t.request({ method: 'GET', url, correlationId: 'has space' });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_correlation_id' });
        expect(res.headers['x-correlation-id']).toBeUndefined();
        expect(res.headers['x-request-id']).toMatch(UUID_V7);
        const ok = await t.request({ method: 'GET', url: '/docs-json', correlationId: 'docs-1' });
        expect(ok.statusCode).toBe(200);
        expect(ok.headers['x-correlation-id']).toBe('docs-1');
      },
    );

    it.each(invalid)(
      '%s on a SCIM write: 400 invalidValue and one failure record',
      async (_l, cid) => {
        const userName = uniqueId('refused');
        const res = await send({
          method: 'POST',
          url: users,
          correlationId: cid,
          payload: userBody(userName),
        });
        expect(res.statusCode).toBe(400);
        expect(res.headers['x-correlation-id']).toBeUndefined();
        expect(res.headers['x-request-id']).toMatch(UUID_V7);
        const body = res.json();
        expect(body).toMatchObject({ status: '400', scimType: 'invalidValue' });
        expect(body.detail).toMatch(/X-Correlation-ID/);
        expect(body.correlationId).toBeUndefined();
        if (cid.length > 0) expect(res.body).not.toContain(cid);
        // Nothing changed ...
        expect(
          await t.db.query('SELECT 1 FROM users WHERE user_name = $1', [userName]),
        ).toHaveLength(0);
        // ... and the refused write is recorded, without the refused value.
        const records = await recordsOfRequest(t, res.headers['x-request-id'] as string);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          action_name: 'createUser',
          result: 'RESPONSE_FAILURE',
          correlation_id: null,
          return_value: { status: '400', error: 'invalidValue' },
        });
        if (cid.length > 0) expect(JSON.stringify(records[0])).not.toContain(cid);
      },
    );

    it('a repeated header (joined with ", ") is refused on the wire', async () => {
      const port = await listen(t.app);
      const res = await rawRequest(port, 'GET', users, {
        authorization: `Bearer ${token}`,
        'x-correlation-id': ['first-id', 'second-id'],
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['x-correlation-id']).toBeUndefined();
      expect(JSON.parse(res.body)).toMatchObject({ scimType: 'invalidValue' });
      expect(res.body).not.toMatch(/first-id|second-id/);
    });

    it('on an OAuth route: 400 invalid_correlation_id and no token', async () => {
      const res = await t.tokenRequest(
        { grant_type: 'client_credentials' },
        undefined,
        undefined,
        t.tenant,
        {
          'x-correlation-id': 'bad id',
        },
      );
      expect(res.statusCode).toBe(400);
      expect(res.headers['x-correlation-id']).toBeUndefined();
      expect(res.json()).toEqual({
        error: 'invalid_correlation_id',
        error_description: expect.stringMatching(/X-Correlation-ID/),
      });
      const records = await recordsOfRequest(t, res.headers['x-request-id'] as string);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'primaryAuthenticateUP',
        result: 'RESPONSE_FAILURE',
        correlation_id: null,
        return_value: { status: '400', error: 'invalid_correlation_id' },
      });
    });

    it('on a read: 400 and no record (reads are not audited)', async () => {
      const res = await send({ method: 'GET', url: users, correlationId: 'bad id' });
      expect(res.statusCode).toBe(400);
      expect(await recordsOfRequest(t, res.headers['x-request-id'] as string)).toHaveLength(0);
    });
  });

  describe('CORRELATION_ID_MAX_LENGTH', () => {
    it.each([
      ['8', 8],
      ['128', 128],
    ])('honours %s', async (setting, max) => {
      const app = await createTestApp({ CORRELATION_ID_MAX_LENGTH: setting });
      try {
        const ok = await app.request({
          method: 'GET',
          url: '/health/live',
          correlationId: 'k'.repeat(max),
        });
        expect(ok.statusCode).toBe(200);
        expect(ok.headers['x-correlation-id']).toBe('k'.repeat(max));
        const tooLong = await app.request({
          method: 'GET',
          url: `/${app.tenant}/v2/Users`,
          token: await app.adminToken(),
          correlationId: 'k'.repeat(max + 1),
        });
        expect(tooLong.statusCode).toBe(400);
        expect(tooLong.json().detail).toContain(`at most ${max} characters`);
      } finally {
        await app.close();
      }
    });
  });

  describe('without the header', () => {
    it('the request proceeds and its records have no correlation id', async () => {
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-correlation-id']).toBeUndefined();
      const requestId = res.headers['x-request-id'] as string;
      expect(requestId).toMatch(UUID_V7);
      const records = await recordsOfRequest(t, requestId);
      expect(records).toHaveLength(1);
      expect(records[0].correlation_id).toBeNull();
    });

    it('a failure body carries no invented correlation id', async () => {
      const res = await send({ method: 'POST', url: users, payload: { nope: 1 } });
      expect(res.statusCode).toBe(400);
      expect(res.json().correlationId).toBeUndefined();
    });
  });

  it("X-Request-ID is a fresh UUIDv7 per request and is the records' requestId", async () => {
    const cid = uniqueId('rid');
    const a = await send({
      method: 'POST',
      url: users,
      correlationId: cid,
      payload: userBody(uniqueId()),
    });
    const b = await send({
      method: 'POST',
      url: users,
      correlationId: cid,
      payload: userBody(uniqueId()),
    });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    const records = await t.recordsFor(cid);
    expect(records.map((r) => r.request_id)).toEqual([
      a.headers['x-request-id'],
      b.headers['x-request-id'],
    ]);
  });

  it('a client-sent X-Request-ID is not trusted', async () => {
    const res = await send({
      method: 'POST',
      url: users,
      headers: { 'x-request-id': '00000000-0000-7000-8000-000000000001' },
      payload: userBody(uniqueId()),
    });
    expect(res.headers['x-request-id']).not.toBe('00000000-0000-7000-8000-000000000001');
    expect(await recordsOfRequest(t, res.headers['x-request-id'] as string)).toHaveLength(1);
  });
});
