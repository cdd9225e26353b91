import { registerClientCredentialsClient, registerNotifiedClient } from '../factories/ciba-clients';
import { createDevice, createUserWithDevice, TestUser } from '../factories/devices';
import { createUser } from '../factories/user';
import { bcauthorize, recordOf, startFlow } from '../utils/ciba';
import { recordsOfCoi } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

describe('CIBA: bcauthorize, answers and the poll grant', () => {
  const s = useTestApp({ env: { CIBA_POLL_INTERVAL_SECONDS: '1' }, adminToken: false });
  let t: TestApp;
  let alice: TestUser & { device: { id: string; serialNumber: string } };
  beforeAll(async () => {
    t = s.t;
    alice = await createUserWithDevice(t, 'alice');
  });

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

    it('delivers the challenge before it answers, with the same ids', async () => {
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'alice' },
        { correlationId: 'ciba-deliver-1' },
      );
      const id = res.json().auth_req_id;
      // Read at once, not awaited: the record exists when the client gets the auth_req_id.
      const delivered = (await recordsOfCoi(t, id)).find(
        (r) => r.action_name === 'indirectDeliverChallenge',
      );
      const created = (await recordsOfCoi(t, id))[0];
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
      const bob = await createUser(t, { userName: 'bob-devices' });
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
      const carol = await createUser(t, { userName: 'carol-no-device' });
      await createDevice(t, carol.id, { status: 'SUSPENDED' });
      const dave = await createUser(t, { userName: 'dave-inactive', active: false });
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
