import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import {
  registerCibaClient,
  registerClientCredentialsClient,
  registerNotifiedClient,
  TestClient,
} from '../factories/ciba-clients';
import { createDevice, createUser, createUserWithDevice, TestUser } from '../factories/devices';
import {
  answer,
  bcauthorize,
  poll,
  recordOf,
  recordsForCoi,
  sleep,
  startFlow,
} from '../utils/ciba';
import { createTestApp, TestApp } from '../utils/test-app';

describe('CIBA: bcauthorize, answers and the poll grant', () => {
  let t: TestApp;
  let alice: TestUser & { device: { id: string; serialNumber: string } };

  beforeAll(async () => {
    t = await createTestApp({ CIBA_POLL_INTERVAL_SECONDS: '1' });
    alice = await createUserWithDevice(t, 'alice');
  });
  afterAll(() => t.close());

  describe('POST /{tenant}/authn/bcauthorize', () => {
    it('answers auth_req_id, expires_in and interval, and records the request under its COI', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice', binding_message: 'Pay 42 EUR' },
        { correlationId: 'ciba-create-1' },
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-correlation-id']).toBe('ciba-create-1');
      const body = res.json();
      expect(body).toEqual({ auth_req_id: expect.any(String), expires_in: 120, interval: 1 });
      expect(body.auth_req_id).toMatch(/^[0-9A-Z]{32}$/);

      const created = (await t.recordsFor('ciba-create-1')).find(
        (r) => r.action_name === 'createCibaRequest',
      );
      expect(created).toMatchObject({
        coi: body.auth_req_id,
        result: 'RESPONSE_SUCCESS',
        acting_user_id: `${t.tenant}-admin`,
        target_user_id: 'alice',
        target_user_immutable_id: alice.id,
      });
      expect(created.action_parameters).toMatchObject({
        COI: body.auth_req_id,
        clientId: `${t.tenant}-admin`,
        scope: 'openid',
        deliveryMode: 'poll',
        hint: 'login_hint',
        expiresIn: '120',
        bindingMessage: 'Pay 42 EUR',
      });
    });

    it('delivers the challenge to the active device through a job, with the same ids', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice' },
        { correlationId: 'ciba-deliver-1' },
      );
      const id = res.json().auth_req_id;
      const delivered = await recordOf(t, id, 'indirectDeliverChallenge');
      const created = (await recordsForCoi(t, id))[0];
      expect(created.action_name).toBe('createCibaRequest');
      expect(delivered).toMatchObject({
        correlation_id: 'ciba-deliver-1',
        request_id: created.request_id,
        acting_user_id: `${t.tenant}-admin`,
        target_user_id: 'alice',
      });
      expect(delivered.action_parameters).toMatchObject({
        Action: 'indirectDeliverChallenge',
        COI: id,
        DSN: alice.device.serialNumber,
      });
      const [row] = await t.db.query('SELECT delivered_at FROM ciba_requests WHERE id = $1', [id]);
      expect(row.delivered_at).toBeInstanceOf(Date);
    });

    it('picks the most recent active device and never a suspended or revoked one', async () => {
      const bob = await createUser(t, 'bob-devices');
      await createDevice(t, bob.id, { status: 'SUSPENDED' });
      const active = await createDevice(t, bob.id);
      await createDevice(t, bob.id, { status: 'REVOKED' });
      const id = await startFlow(t, 'bob-devices');
      const delivered = await recordOf(t, id, 'indirectDeliverChallenge');
      expect(delivered.action_parameters.DSN).toBe(active.serialNumber);
    });

    it('honours requested_expiry', async () => {
      const res = await bcauthorize(t, {
        scope: 'openid',
        login_hint: 'alice',
        requested_expiry: '30',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().expires_in).toBe(30);
      const [row] = await t.db.query(
        `SELECT extract(epoch FROM expires_at - created)::int AS lifetime FROM ciba_requests WHERE id = $1`,
        [res.json().auth_req_id],
      );
      expect(row.lifetime).toBe(30);
    });

    it('makes unguessable ids that never repeat', async () => {
      const ids = await Promise.all(
        Array.from(
          { length: 5 },
          async () =>
            (await bcauthorize(t, { scope: 'openid', login_hint: 'alice' })).json().auth_req_id,
        ),
      );
      expect(new Set(ids).size).toBe(5);
    });

    it.each([
      ['no scope', { login_hint: 'alice' }, 'invalid_request'],
      ['a scope without openid', { scope: 'profile', login_hint: 'alice' }, 'invalid_scope'],
      [
        'a scope the client may not have',
        { scope: 'openid email', login_hint: 'alice' },
        'invalid_scope',
      ],
      ['a malformed scope', { scope: 'openid  profile', login_hint: 'alice' }, 'invalid_scope'],
      ['no hint', { scope: 'openid' }, 'invalid_request'],
      [
        'two hints',
        { scope: 'openid', login_hint: 'alice', id_token_hint: 'x.y.z' },
        'invalid_request',
      ],
      ['an empty login_hint', { scope: 'openid', login_hint: '' }, 'invalid_request'],
      [
        'requested_expiry 0',
        { scope: 'openid', login_hint: 'alice', requested_expiry: '0' },
        'invalid_request',
      ],
      [
        'requested_expiry 601',
        { scope: 'openid', login_hint: 'alice', requested_expiry: '601' },
        'invalid_request',
      ],
      [
        'requested_expiry abc',
        { scope: 'openid', login_hint: 'alice', requested_expiry: '1.5' },
        'invalid_request',
      ],
      [
        'a binding_message too long',
        { scope: 'openid', login_hint: 'alice', binding_message: 'x'.repeat(101) },
        'invalid_binding_message',
      ],
      [
        'a binding_message with a control character',
        { scope: 'openid', login_hint: 'alice', binding_message: 'pay\nnow' },
        'invalid_binding_message',
      ],
      [
        'a malformed client_notification_token',
        { scope: 'openid', login_hint: 'alice', client_notification_token: 'a b' },
        'invalid_request',
      ],
      [
        'a request object',
        { scope: 'openid', login_hint: 'alice', request: 'e.y.J' },
        'invalid_request',
      ],
      ['an unknown user', { scope: 'openid', login_hint: 'nobody-here' }, 'unknown_user_id'],
    ])('refuses %s', async (_label, form, error) => {
      const correlationId = `ciba-refuse-${Math.random().toString(36).slice(2)}`;
      const res = await bcauthorize(t, form as Record<string, string>, { correlationId });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error, correlationId });
      const records = await t.recordsFor(correlationId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'createCibaRequest',
        result: 'RESPONSE_FAILURE',
        acting_user_id: `${t.tenant}-admin`,
        coi: null,
      });
      expect(records[0].return_value).toEqual({ status: '400', error });
    });

    it('refuses a repeated parameter', async () => {
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/bcauthorize`,
        headers: {
          authorization: `Basic ${Buffer.from(`${t.tenant}-admin:e2e-admin-secret-0123456789`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'scope=openid&login_hint=alice&login_hint=bob',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it('refuses a JSON body', async () => {
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/bcauthorize`,
        headers: {
          authorization: `Basic ${Buffer.from(`${t.tenant}-admin:e2e-admin-secret-0123456789`).toString('base64')}`,
          'content-type': 'application/json',
        },
        payload: { scope: 'openid', login_hint: 'alice' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it('refuses a user whose devices are all inactive, and an inactive user', async () => {
      const carol = await createUser(t, 'carol-no-device');
      await createDevice(t, carol.id, { status: 'SUSPENDED' });
      const dave = await createUser(t, 'dave-inactive', { active: false });
      await createDevice(t, dave.id);
      for (const login_hint of ['carol-no-device', 'dave-inactive']) {
        const res = await bcauthorize(t, { scope: 'openid', login_hint });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('unknown_user_id');
      }
    });

    it('refuses bad client credentials with 401 invalid_client', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice' },
        {
          client: { clientId: `${t.tenant}-admin`, secret: 'wrong-secret' },
          correlationId: 'ciba-badclient',
        },
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('invalid_client');
      const [record] = await t.recordsFor('ciba-badclient');
      expect(record).toMatchObject({
        action_name: 'createCibaRequest',
        result: 'RESPONSE_FAILURE',
        acting_user_id: `${t.tenant}-admin`,
      });
    });

    it('refuses a client not registered for CIBA with unauthorized_client', async () => {
      const client = await registerClientCredentialsClient(t);
      const res = await bcauthorize(t, { scope: 'openid', login_hint: 'alice' }, { client });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('unauthorized_client');
    });

    it('requires client_notification_token in ping mode', async () => {
      const client = await registerNotifiedClient(t, 'ping', 'http://127.0.0.1:9/cb');
      const res = await bcauthorize(t, { scope: 'openid', login_hint: 'alice' }, { client });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
      expect(res.json().error_description).toMatch(/client_notification_token/);
    });

    it("does not reveal another tenant's users", async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice' },
        { tenant: 'no-such-tenant' },
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('invalid_client');
    });
  });

  describe('approve and deny', () => {
    it('approves once with 204; the record acts as the user and names the client in CLI', async () => {
      const id = await startFlow(t, 'alice', { correlationId: 'ciba-flow-a' });
      const res = await answer(t, id, 'approve', {
        correlationId: 'ciba-approve-a',
        payload: { reason: 'looks right' },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['x-correlation-id']).toBe('ciba-approve-a');
      const [record] = await t.recordsFor('ciba-approve-a');
      expect(record).toMatchObject({
        action_name: 'approveChallenge',
        result: 'RESPONSE_SUCCESS',
        coi: id,
        acting_user_id: 'alice',
        acting_user_immutable_id: alice.id,
        target_user_id: 'alice',
      });
      expect(record.acting_session_id).toBe(decodeJwt(await t.adminToken()).jti);
      expect(record.action_parameters).toMatchObject({
        CLI: `${t.tenant}-admin`,
        COI: id,
        DSN: alice.device.serialNumber,
        reason: 'looks right',
      });
    });

    it('answers 409 to any second answer, the identical one included, and records it', async () => {
      const id = await startFlow(t, 'alice');
      expect((await answer(t, id, 'deny')).statusCode).toBe(204);
      for (const decision of ['deny', 'approve'] as const) {
        const correlationId = `ciba-again-${decision}`;
        const res = await answer(t, id, decision, { correlationId });
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ error: 'conflict' });
        expect(res.json().error_description).toMatch(/no longer pending \(denied\)/);
        const [record] = await t.recordsFor(correlationId);
        expect(record).toMatchObject({
          action_name: decision === 'deny' ? 'denyChallenge' : 'approveChallenge',
          result: 'RESPONSE_FAILURE',
          coi: id,
          return_value: { status: '409', error: 'conflict' },
        });
      }
      const [row] = await t.db.query('SELECT status FROM ciba_requests WHERE id = $1', [id]);
      expect(row.status).toBe('denied');
    });

    it('resolves concurrent answers to exactly one winner', async () => {
      const id = await startFlow(t, 'alice');
      const results = await Promise.all(
        (['approve', 'deny', 'approve', 'deny'] as const).map((d) => answer(t, id, d)),
      );
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes).toEqual([204, 409, 409, 409]);
      const answers = (await recordsForCoi(t, id)).filter(
        (r) =>
          ['approveChallenge', 'denyChallenge'].includes(r.action_name) &&
          r.result === 'RESPONSE_SUCCESS',
      );
      expect(answers).toHaveLength(1);
    });

    it('answers 404 to an unknown auth_req_id and 400 to a bad body', async () => {
      const unknown = await answer(t, 'A'.repeat(32), 'approve');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toBe('not_found');
      const malformed = await answer(t, 'not-an-id', 'deny');
      expect(malformed.statusCode).toBe(404);
      const id = await startFlow(t, 'alice');
      for (const payload of [[1], { reason: 42 }, { reason: 'x'.repeat(1025) }]) {
        const res = await answer(t, id, 'approve', { payload });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('invalid_request');
      }
      expect((await answer(t, id, 'approve')).statusCode).toBe(204);
    });

    it('needs a bearer token with ciba:respond', async () => {
      const id = await startFlow(t, 'alice');
      const none = await t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/bcauthorize/${id}/approve`,
      });
      expect(none.statusCode).toBe(401);
      const weak = await answer(t, id, 'approve', {
        token: await t.adminToken(t.tenant, 'users:read'),
      });
      expect(weak.statusCode).toBe(403);
      expect(weak.json().error).toBe('insufficient_scope');
      expect((await answer(t, id, 'approve')).statusCode).toBe(204);
    });
  });

  describe('token endpoint, grant urn:openid:params:grant-type:ciba', () => {
    it('answers authorization_pending, then slow_down with a growing interval, unrecorded', async () => {
      const id = await startFlow(t, 'alice');
      const first = await poll(t, id, { correlationId: 'ciba-poll-pending' });
      expect(first.statusCode).toBe(400);
      expect(first.json()).toMatchObject({ error: 'authorization_pending' });
      const fast = await poll(t, id, { correlationId: 'ciba-poll-pending' });
      expect(fast.json()).toMatchObject({ error: 'slow_down' });
      const [row] = await t.db.query('SELECT poll_interval FROM ciba_requests WHERE id = $1', [id]);
      expect(row.poll_interval).toBe(6);
      // The old interval (1 s) is no longer enough: the client must now wait 6 s.
      await sleep(1200);
      expect((await poll(t, id)).json()).toMatchObject({ error: 'slow_down' });
      expect(await t.recordsFor('ciba-poll-pending')).toEqual([]);
    });

    it('waits interval seconds between polls without slow_down', async () => {
      const id = await startFlow(t, 'alice');
      expect((await poll(t, id)).json().error).toBe('authorization_pending');
      await sleep(1100);
      expect((await poll(t, id)).json().error).toBe('authorization_pending');
    });

    it('issues an access token and an ID token once after approval', async () => {
      const id = await startFlow(t, 'alice', {
        form: { scope: 'openid profile', acr_values: 'mod-mf high' },
      });
      expect((await answer(t, id, 'approve')).statusCode).toBe(204);
      const res = await poll(t, id, { correlationId: 'ciba-poll-ok' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toMatchObject({
        token_type: 'Bearer',
        scope: 'openid profile',
        expires_in: 3600,
      });

      const jwks = createLocalJWKSet(
        (await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })).json(),
      );
      const issuer = `http://localhost:3000/${t.tenant}`;
      const { payload: idToken, protectedHeader } = await jwtVerify(body.id_token, jwks, {
        issuer,
        audience: `${t.tenant}-admin`,
      });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
      const [row] = await t.db.query('SELECT answered_at FROM ciba_requests WHERE id = $1', [id]);
      expect(idToken).toMatchObject({
        sub: alice.id,
        aud: `${t.tenant}-admin`,
        auth_time: Math.floor(row.answered_at.getTime() / 1000),
        acr: 'mod-mf',
        'urn:openid:params:jwt:claim:auth_req_id': id,
      });
      expect(idToken.iat).toEqual(expect.any(Number));
      expect(idToken.exp).toEqual(expect.any(Number));

      const { payload: access } = await jwtVerify(body.access_token, jwks, {
        issuer,
        typ: 'at+jwt',
      });
      expect(access).toMatchObject({
        client_id: `${t.tenant}-admin`,
        sub: `${t.tenant}-admin`,
        scope: 'openid profile',
        auth_time: idToken.auth_time,
        acr: 'mod-mf',
      });

      const [record] = await t.recordsFor('ciba-poll-ok');
      expect(record).toMatchObject({
        action_name: 'primaryAuthenticateUP',
        result: 'RESPONSE_SUCCESS',
        coi: id,
        acting_user_id: `${t.tenant}-admin`,
        acting_session_id: access.jti,
        acting_auth_method: 'client_secret_basic',
        target_user_id: 'alice',
        target_user_immutable_id: alice.id,
      });
      expect(record.action_parameters).toMatchObject({
        grantType: 'urn:openid:params:grant-type:ciba',
        COI: id,
      });

      const again = await poll(t, id, { correlationId: 'ciba-poll-again' });
      expect(again.statusCode).toBe(400);
      expect(again.json().error).toBe('invalid_grant');
      const [failure] = await t.recordsFor('ciba-poll-again');
      expect(failure).toMatchObject({
        action_name: 'primaryAuthenticateUP',
        result: 'RESPONSE_FAILURE',
        coi: id,
        return_value: { status: '400', error: 'invalid_grant' },
      });
    });

    it('lets only one of many concurrent polls redeem', async () => {
      const id = await startFlow(t, 'alice');
      await answer(t, id, 'approve');
      const results = await Promise.all(
        Array.from({ length: 6 }, () => poll(t, id, { correlationId: 'ciba-race' })),
      );
      const ok = results.filter((r) => r.statusCode === 200);
      expect(ok).toHaveLength(1);
      for (const r of results.filter((x) => x.statusCode !== 200)) {
        expect(r.json().error).toBe('invalid_grant');
      }
      const successes = (await recordsForCoi(t, id)).filter(
        (r) => r.action_name === 'primaryAuthenticateUP' && r.result === 'RESPONSE_SUCCESS',
      );
      expect(successes).toHaveLength(1);
    });

    it('answers access_denied after a denial, and records it', async () => {
      const id = await startFlow(t, 'alice');
      await answer(t, id, 'deny');
      const res = await poll(t, id, { correlationId: 'ciba-poll-denied' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('access_denied');
      const [record] = await t.recordsFor('ciba-poll-denied');
      expect(record).toMatchObject({
        action_name: 'primaryAuthenticateUP',
        result: 'RESPONSE_FAILURE',
        coi: id,
        acting_user_id: `${t.tenant}-admin`,
      });
    });

    it('answers expired_token by time, then records the expiry through its job', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice', requested_expiry: '1' },
        { correlationId: 'ciba-expiry' },
      );
      const id = res.json().auth_req_id;
      await sleep(1100);
      const polled = await poll(t, id);
      expect(polled.json().error).toBe('expired_token');
      const late = await answer(t, id, 'approve');
      expect(late.statusCode).toBe(409);
      expect(late.json().error_description).toMatch(/expired/);

      const expired = await recordOf(t, id, 'expireCibaRequest');
      const created = (await recordsForCoi(t, id))[0];
      expect(expired).toMatchObject({
        correlation_id: 'ciba-expiry',
        request_id: created.request_id,
        acting_user_id: `${t.tenant}-admin`,
        target_user_id: 'alice',
      });
      expect(expired.action_parameters).toMatchObject({ previousStatus: 'pending', COI: id });
      const [row] = await t.db.query('SELECT status FROM ciba_requests WHERE id = $1', [id]);
      expect(row.status).toBe('expired');
      expect((await poll(t, id)).json().error).toBe('expired_token');
    });

    it('expires an approved request that was never redeemed', async () => {
      const res = await bcauthorize(t, {
        scope: 'openid',
        login_hint: 'alice',
        requested_expiry: '2',
      });
      const id = res.json().auth_req_id;
      await answer(t, id, 'approve');
      const expired = await recordOf(t, id, 'expireCibaRequest');
      expect(expired.action_parameters.previousStatus).toBe('approved');
      expect((await poll(t, id)).json().error).toBe('expired_token');
    });

    it('answers invalid_grant for an unknown id or one issued to another client', async () => {
      const other: TestClient = await registerCibaClient(t);
      const id = await startFlow(t, 'alice');
      for (const [authReqId, client] of [
        ['B'.repeat(32), undefined],
        ['short', undefined],
        [id, other],
      ] as const) {
        const res = await poll(t, authReqId, { client, correlationId: 'ciba-invalid-grant' });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('invalid_grant');
      }
      // Someone else's flow is not theirs to see: no COI on these failures.
      const records = await t.recordsFor('ciba-invalid-grant');
      expect(records).toHaveLength(3);
      expect(records.every((r) => r.coi === null)).toBe(true);
    });

    it('requires auth_req_id, and the CIBA grant on the client', async () => {
      const missing = await t.tokenRequest({ grant_type: 'urn:openid:params:grant-type:ciba' });
      expect(missing.json().error).toBe('invalid_request');
      const client = await registerClientCredentialsClient(t);
      const res = await poll(t, 'C'.repeat(32), { client });
      expect(res.json().error).toBe('unauthorized_client');
    });
  });

  describe('the whole story', () => {
    it('a search by COI returns every record of the flow, in order, with its ids', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice' },
        { correlationId: 'story-start' },
      );
      const id = res.json().auth_req_id;
      await recordOf(t, id, 'indirectDeliverChallenge');
      await poll(t, id, { correlationId: 'story-poll' });
      await answer(t, id, 'approve', { correlationId: 'story-approve' });
      expect((await poll(t, id, { correlationId: 'story-poll' })).statusCode).toBe(200);

      const records = await recordsForCoi(t, id);
      expect(records.map((r) => [r.action_name, r.result, r.correlation_id])).toEqual([
        ['createCibaRequest', 'RESPONSE_SUCCESS', 'story-start'],
        ['indirectDeliverChallenge', 'RESPONSE_SUCCESS', 'story-start'],
        ['approveChallenge', 'RESPONSE_SUCCESS', 'story-approve'],
        ['primaryAuthenticateUP', 'RESPONSE_SUCCESS', 'story-poll'],
      ]);
      expect(records.every((r) => r.action_parameters.COI === id)).toBe(true);
      expect(records[1].request_id).toBe(records[0].request_id);
    });
  });

  describe('discovery', () => {
    it('documents the three CIBA operations in the OpenAPI document', async () => {
      const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
      const ops = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((p) =>
        Object.values(p).map((o) => o.operationId),
      );
      expect(ops).toEqual(
        expect.arrayContaining(['createCibaRequest', 'approveChallenge', 'denyChallenge']),
      );
    });

    it('lists the CIBA endpoint, grant type and delivery modes', async () => {
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/.well-known/openid-configuration`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        backchannel_authentication_endpoint: `http://localhost:3000/${t.tenant}/authn/bcauthorize`,
        grant_types_supported: expect.arrayContaining(['urn:openid:params:grant-type:ciba']),
        backchannel_token_delivery_modes_supported: ['poll', 'ping', 'push'],
        backchannel_user_code_parameter_supported: false,
      });
    });
  });
});
