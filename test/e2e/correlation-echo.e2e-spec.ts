import { AuditService } from '../../src/audit/audit.service';
import { createUser, userBody } from '../factories/user';
import { expectEchoed, listen, rawRequest } from '../utils/http';
import { ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/suite';
import { TestApp, TestResponse, uniqueId } from '../utils/test-app';

type Case = [label: string, status: number, build: (cid: string) => Promise<TestResponse>];

describe('correlation (API.md §2)', () => {
  const s = useTestApp({ modules: [ProbeModule] });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));
  afterEach(() => jest.restoreAllMocks());

  describe('a valid id is echoed unchanged on every response', () => {
    const cases: Case[] = [
      [
        'GET user',
        200,
        async (cid) => {
          const { id } = await createUser(t);
          return send({ method: 'GET', url: `${users}/${id}`, correlationId: cid });
        },
      ],
      [
        'POST user',
        201,
        (cid) =>
          send({ method: 'POST', url: users, correlationId: cid, payload: userBody(uniqueId()) }),
      ],
      [
        'DELETE user',
        204,
        async (cid) => {
          const { id } = await createUser(t);
          return send({ method: 'DELETE', url: `${users}/${id}`, correlationId: cid });
        },
      ],
      [
        'invalid user',
        400,
        (cid) =>
          send({ method: 'POST', url: users, correlationId: cid, payload: { userName: 'x' } }),
      ],
      ['no token', 401, (cid) => t.request({ method: 'GET', url: users, correlationId: cid })],
      [
        'missing scope',
        403,
        async (cid) =>
          t.request({
            method: 'POST',
            url: users,
            token: await t.adminToken(t.tenant, 'users:read'),
            correlationId: cid,
            payload: userBody(uniqueId()),
          }),
      ],
      [
        'unknown route',
        404,
        (cid) => send({ method: 'GET', url: `/${t.tenant}/v2/NoSuchThing`, correlationId: cid }),
      ],
      [
        'unknown route outside tenants',
        404,
        (cid) => t.request({ method: 'GET', url: '/no/such/route', correlationId: cid }),
      ],
      [
        'unknown user',
        404,
        (cid) =>
          send({
            method: 'GET',
            url: `${users}/00000000-0000-7000-8000-000000000000`,
            correlationId: cid,
          }),
      ],
      [
        'userName taken',
        409,
        async (cid) => {
          const name = uniqueId();
          await createUser(t, { userName: name });
          return send({ method: 'POST', url: users, correlationId: cid, payload: userBody(name) });
        },
      ],
      [
        'stale If-Match',
        412,
        async (cid) => {
          const { id } = await createUser(t);
          return send({
            method: 'PUT',
            url: `${users}/${id}`,
            correlationId: cid,
            headers: { 'if-match': 'W/"99"' },
            payload: userBody(uniqueId()),
          });
        },
      ],
      [
        'body over 1 MB',
        413,
        (cid) =>
          send({
            method: 'POST',
            url: users,
            correlationId: cid,
            payload: userBody(uniqueId(), { displayName: 'x'.repeat(1_100_000) }),
          }),
      ],
      [
        'malformed JSON',
        400,
        (cid) => send({ method: 'POST', url: users, correlationId: cid, payload: '{"userName": ' }),
      ],
      [
        'unsupported media type',
        415,
        (cid) =>
          send({
            method: 'POST',
            url: users,
            correlationId: cid,
            headers: { 'content-type': 'text/plain' },
            payload: 'userName=x',
          }),
      ],
      [
        'error thrown in a pipe',
        400,
        (cid) =>
          send({ method: 'GET', url: `/${t.tenant}/v2/Probe/pipe?n=abc`, correlationId: cid }),
      ],
      [
        'error thrown in a guard',
        500,
        (cid) => send({ method: 'GET', url: `/${t.tenant}/v2/Probe/guard`, correlationId: cid }),
      ],
      [
        'unexpected crash in a handler',
        500,
        (cid) => send({ method: 'POST', url: `/${t.tenant}/v2/Probe/crash`, correlationId: cid }),
      ],
      [
        'error thrown in the exception filter',
        400,
        (cid) => {
          jest
            .spyOn(t.app.get(AuditService), 'recordFailure')
            .mockRejectedValueOnce(new Error('audit database unreachable'));
          return send({ method: 'POST', url: users, correlationId: cid, payload: { bad: true } });
        },
      ],
      [
        'token endpoint, bad client',
        401,
        (cid) =>
          t.tokenRequest({ grant_type: 'client_credentials' }, 'nobody', 'wrong-secret', t.tenant, {
            'x-correlation-id': cid,
          }),
      ],
      [
        'token endpoint, success',
        200,
        (cid) =>
          t.tokenRequest({ grant_type: 'client_credentials' }, undefined, undefined, t.tenant, {
            'x-correlation-id': cid,
          }),
      ],
      [
        'discovery of an unknown tenant',
        404,
        (cid) =>
          t.request({
            method: 'GET',
            url: '/no-such-tenant/.well-known/openid-configuration',
            correlationId: cid,
          }),
      ],
      [
        'liveness',
        200,
        (cid) => t.request({ method: 'GET', url: '/health/live', correlationId: cid }),
      ],
    ];

    it.each(cases)('%s → %d', async (_label, status, build) => {
      const cid = uniqueId('echo');
      const res = await build(cid);
      expect(res.statusCode).toBe(status);
      expectEchoed(res, cid);
      if (status >= 400) {
        // The error body names the id too, and never a stack trace or an internal message.
        expect(res.json().correlationId).toBe(cid);
        expect(res.body).not.toMatch(/\n\s+at |probe crash|exploded|audit database/);
      }
    });

    it('treats the header name case-insensitively on the wire', async () => {
      const port = await listen(t.app);
      const res = await rawRequest(port, 'GET', '/health/live', { 'X-CORRELATION-id': 'MiXeD-1' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-correlation-id']).toBe('MiXeD-1');
    });

    it('accepts every allowed character and the maximum length', async () => {
      for (const cid of ['A-Z_a.z*0~9@x+y/z:w', 'x'.repeat(64), 'a']) {
        const res = await t.request({ method: 'GET', url: '/health/live', correlationId: cid });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-correlation-id']).toBe(cid);
      }
    });
  });

  describe('body limits (API.md §1)', () => {
    const body = (bytes: number) => JSON.stringify({ blob: 'x'.repeat(bytes) });

    it('1 MB on ordinary routes, 10 MB on import routes, 413 beyond, echoed', async () => {
      const importUrl = `/${t.tenant}/v2/Probe/.import`;
      const ordinary = await send({
        method: 'POST',
        url: users,
        correlationId: 'limit-1',
        payload: body(1_100_000),
      });
      expect(ordinary.statusCode).toBe(413);
      expectEchoed(ordinary, 'limit-1');
      const accepted = await send({ method: 'POST', url: importUrl, payload: body(9_000_000) });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().bytes).toBeGreaterThan(9_000_000);
      const tooLarge = await send({
        method: 'POST',
        url: importUrl,
        correlationId: 'limit-2',
        payload: body(10_600_000),
      });
      expect(tooLarge.statusCode).toBe(413);
      expectEchoed(tooLarge, 'limit-2');
      expect(tooLarge.json()).toMatchObject({ status: '413', correlationId: 'limit-2' });
    });
  });
});
