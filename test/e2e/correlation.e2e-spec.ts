import { Logger } from '@nestjs/common';
import { AuditService } from '../../src/audit/audit.service';
import { BearerGuard } from '../../src/auth/bearer.guard';
import { RequestContextService } from '../../src/context/request-context.service';
import { JobsService } from '../../src/jobs/jobs.service';
import { UsersService } from '../../src/users/users.service';
import { listen, logLines, rawRequest, UUID_V7 } from '../utils/http';
import { middlewareSaw, ProbeModule } from '../utils/probe.module';
import {
  createTestApp,
  InjectOptions,
  TestApp,
  TestResponse,
  uniqueId,
  userBody,
} from '../utils/test-app';

type Case = [label: string, status: number, build: (cid: string) => Promise<TestResponse>];

describe('correlation (API.md §2)', () => {
  let t: TestApp;
  let token: string;
  let users: string;

  beforeAll(async () => {
    t = await createTestApp({}, 1, [ProbeModule]);
    token = await t.adminToken();
    users = `/${t.tenant}/v2/Users`;
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const send = (o: InjectOptions) => t.request({ token, ...o });
  const createUser = async (userName = uniqueId('u')) => {
    const res = await send({ method: 'POST', url: users, payload: userBody(userName) });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; meta: { version: string } }>();
  };
  const recordsOfRequest = (requestId: string): Promise<any[]> =>
    t.db.query('SELECT * FROM audit_records WHERE request_id = $1 ORDER BY created, id', [
      requestId,
    ]);

  function expectEchoed(res: TestResponse, correlationId: string): void {
    expect(res.headers['x-correlation-id']).toBe(correlationId);
    expect(res.headers['x-request-id']).toMatch(UUID_V7);
  }

  describe('a valid id is echoed unchanged on every response', () => {
    const cases: Case[] = [
      [
        'GET user',
        200,
        async (cid) => {
          const { id } = await createUser();
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
          const { id } = await createUser();
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
          await createUser(name);
          return send({ method: 'POST', url: users, correlationId: cid, payload: userBody(name) });
        },
      ],
      [
        'stale If-Match',
        412,
        async (cid) => {
          const { id } = await createUser();
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
        const records = await recordsOfRequest(res.headers['x-request-id'] as string);
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
      const records = await recordsOfRequest(res.headers['x-request-id'] as string);
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
      expect(await recordsOfRequest(res.headers['x-request-id'] as string)).toHaveLength(0);
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
      const records = await recordsOfRequest(requestId);
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
    expect(await recordsOfRequest(res.headers['x-request-id'] as string)).toHaveLength(1);
  });

  describe('propagation (STYLE.md habit 11)', () => {
    it('one id reaches middleware, guard, service, audit record, error body, log line and job', async () => {
      const cid = uniqueId('prop');
      const context = t.app.get(RequestContextService);
      const jobs = t.app.get(JobsService);
      const seenBy: Record<string, { correlationId?: string; requestId?: string }[]> = {
        guard: [],
        service: [],
      };
      const snapshot = () => {
        const ctx = context.get();
        return { correlationId: ctx?.correlationId, requestId: ctx?.requestId };
      };

      const guard = t.app.get(BearerGuard);
      const canActivate = guard.canActivate.bind(guard);
      jest.spyOn(guard, 'canActivate').mockImplementation((execution) => {
        seenBy.guard.push(snapshot());
        return canActivate(execution);
      });

      const queue = `probe-propagation-${uniqueId()}`;
      let jobSaw: (value: { correlationId?: string; requestId?: string; actor?: string }) => void;
      const jobRan = new Promise<{ correlationId?: string; requestId?: string; actor?: string }>(
        (resolve) => (jobSaw = resolve),
      );
      await jobs.register<{ userName: string }>(
        queue,
        { pollingIntervalSeconds: 0.5 },
        async () => {
          new Logger('ProbeJob').log('probe job ran');
          jobSaw({ ...snapshot(), actor: context.get()?.actor?.id });
        },
      );

      const service = t.app.get(UsersService);
      const create = service.create.bind(service);
      let enqueued = false;
      jest.spyOn(service, 'create').mockImplementation(async (tenant, body) => {
        seenBy.service.push(snapshot());
        if (!enqueued) {
          enqueued = true;
          await jobs.enqueue(queue, { userName: 'prop' });
        }
        return create(tenant, body);
      });

      const userName = uniqueId('prop');
      const created = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(userName),
      });
      const refused = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(userName),
      });
      expect(created.statusCode).toBe(201);
      expect(refused.statusCode).toBe(409);
      const requestIds = [created, refused].map((r) => r.headers['x-request-id'] as string);

      // Header echo on both.
      for (const res of [created, refused]) expectEchoed(res, cid);
      // Nest middleware (after the CLS middleware) saw it in the context.
      expect(requestIds.map((id) => middlewareSaw.get(id))).toEqual([cid, cid]);
      // The guard and the service saw it.
      const expected = requestIds.map((requestId) => ({ correlationId: cid, requestId }));
      expect(seenBy.guard).toEqual(expected);
      expect(seenBy.service).toEqual(expected);
      // Audit records: the change, then the failure, each with its request id.
      const records = await t.recordsFor(cid);
      expect(records.map((r) => [r.action_name, r.result, r.request_id])).toEqual([
        ['createUser', 'RESPONSE_SUCCESS', requestIds[0]],
        ['createUser', 'RESPONSE_FAILURE', requestIds[1]],
      ]);
      // Error body.
      expect(refused.json()).toMatchObject({ scimType: 'uniqueness', correlationId: cid });
      // Log lines of both requests: one completion line each, with the id and the status.
      for (const [i, requestId] of requestIds.entries()) {
        const lines = logLines(t.logs, { requestId, msg: 'request completed' });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
          correlationId: cid,
          res: { statusCode: [201, 409][i] },
        });
      }
      // The background job ran in the context of the request that enqueued it.
      const job = await jobRan;
      expect(job).toEqual({
        correlationId: cid,
        requestId: requestIds[0],
        actor: `${t.tenant}-admin`,
      });
      const jobLines = logLines(t.logs, { msg: 'probe job ran' });
      expect(jobLines.at(-1)).toMatchObject({ correlationId: cid, requestId: requestIds[0] });
    });

    it('50 concurrent requests with distinct ids do not cross-talk', async () => {
      const n = 50;
      const calls = Array.from({ length: n }, (_, i) => ({
        cid: uniqueId(`conc${i}`),
        userName: uniqueId(`conc${i}`),
      }));
      const responses = await Promise.all(
        calls.map(({ cid, userName }) =>
          send({ method: 'POST', url: users, correlationId: cid, payload: userBody(userName) }),
        ),
      );
      const records: any[] = await t.db.query(
        'SELECT * FROM audit_records WHERE tenant_id = $1 AND correlation_id = ANY($2::text[])',
        [t.tenant, calls.map((c) => c.cid)],
      );
      expect(records).toHaveLength(n);
      calls.forEach(({ cid, userName }, i) => {
        const res = responses[i];
        expect(res.statusCode).toBe(201);
        expect(res.headers['x-correlation-id']).toBe(cid);
        expect(res.json().userName).toBe(userName);
        const requestId = res.headers['x-request-id'] as string;
        const mine = records.filter((r) => r.correlation_id === cid);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ request_id: requestId, target_user_id: userName });
        expect(middlewareSaw.get(requestId)).toBe(cid);
        const lines = logLines(t.logs, { requestId, msg: 'request completed' });
        expect(lines.map((l) => l.correlationId)).toEqual([cid]);
      });
      expect(new Set(responses.map((r) => r.headers['x-request-id'])).size).toBe(n);
    });
  });
});
