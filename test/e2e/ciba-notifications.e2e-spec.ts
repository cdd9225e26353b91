import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { registerNotifiedClient, TestClient } from '../factories/ciba-clients';
import { createUserWithDevice, TestUser } from '../factories/devices';
import {
  answer,
  bcauthorize,
  eventually,
  NotificationListener,
  poll,
  recordOf,
} from '../utils/ciba';
import { recordsOfCoi } from '../utils/records';
import { createTestApp, TestApp } from '../utils/test-app';

describe('CIBA ping and push modes', () => {
  let t: TestApp;
  let listener: NotificationListener;
  let endpoint: string;
  let pingClient: TestClient;
  let pushClient: TestClient;
  let gina: TestUser;
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp();
    listener = new NotificationListener();
    endpoint = await listener.start();
    pingClient = await registerNotifiedClient(t, 'ping', endpoint);
    pushClient = await registerNotifiedClient(t, 'push', endpoint);
    gina = await createUserWithDevice(t, 'gina');
  });
  afterAll(async () => {
    await t.close();
    await listener.stop();
  });
  beforeEach(() => {
    listener.received.length = 0;
    listener.statuses = [];
  });

  /** Starts a flow for gina with a fresh notification token; waits for the delivery. */
  async function start(client: TestClient, extra: Record<string, string> = {}) {
    const token = `cnt-${++counter}-8a7f3b2c9d`;
    const correlationId = `notify-${counter}`;
    const res = await bcauthorize(
      t,
      { scope: 'openid', login_hint: 'gina', client_notification_token: token, ...extra },
      { client, correlationId },
    );
    expect(res.statusCode).toBe(200);
    const id: string = res.json().auth_req_id;
    await recordOf(t, id, 'indirectDeliverChallenge');
    return { id, token, correlationId, response: res.json() };
  }

  describe('ping', () => {
    it('calls the endpoint with the bearer token and auth_req_id, then the client polls', async () => {
      const flow = await start(pingClient);
      expect(flow.response.interval).toBe(5);
      await answer(t, flow.id, 'approve', { correlationId: 'ping-approve' });
      const [note] = await listener.arrived(1);
      expect(note.authorization).toBe(`Bearer ${flow.token}`);
      expect(note.contentType).toMatch(/^application\/json/);
      expect(note.body).toEqual({ auth_req_id: flow.id });

      const record = await recordOf(t, flow.id, 'notifyCibaClient');
      const created = (await recordsOfCoi(t, flow.id))[0];
      // Work done for the flow carries the ids of the call that started it.
      expect(record).toMatchObject({
        correlation_id: flow.correlationId,
        request_id: created.request_id,
        acting_user_id: pingClient.clientId,
        target_user_id: 'gina',
      });
      expect(record.action_parameters).toMatchObject({
        COI: flow.id,
        deliveryMode: 'ping',
        result: 'approved',
        attempt: '1',
        responseStatus: '204',
      });
      const [row] = await t.db.query('SELECT notification_token FROM ciba_requests WHERE id = $1', [
        flow.id,
      ]);
      expect(row.notification_token).toBeNull();

      const tokens = await poll(t, flow.id, { client: pingClient });
      expect(tokens.statusCode).toBe(200);
      expect(decodeJwt(tokens.json().id_token).sub).toBe(gina.id);

      expect((await recordsOfCoi(t, flow.id)).map((r) => r.action_name)).toEqual([
        'createCibaRequest',
        'indirectDeliverChallenge',
        'approveChallenge',
        'notifyCibaClient',
        'primaryAuthenticateUP',
      ]);
    });

    it('retries a failed call with back-off and records every attempt', async () => {
      listener.statuses = [500];
      const flow = await start(pingClient);
      await answer(t, flow.id, 'deny');
      await listener.arrived(2);
      expect(listener.received.map((n) => n.body)).toEqual([
        { auth_req_id: flow.id },
        { auth_req_id: flow.id },
      ]);
      await recordOf(t, flow.id, 'notifyCibaClient');
      const attempts = (await recordsOfCoi(t, flow.id)).filter(
        (r) => r.action_name === 'notifyCibaClient',
      );
      expect(attempts.map((r) => [r.result, r.action_parameters.attempt])).toEqual([
        ['RESPONSE_FAILURE', '1'],
        ['RESPONSE_SUCCESS', '2'],
      ]);
      expect(attempts[0]).toMatchObject({
        correlation_id: flow.correlationId,
        return_value: { status: '502', error: 'notification_failed' },
        message: 'The notification endpoint answered 500',
      });
      expect(attempts[0].action_parameters).toMatchObject({
        responseStatus: '500',
        retry: 'scheduled',
      });
      expect((await poll(t, flow.id, { client: pingClient })).json().error).toBe('access_denied');
    });

    it('tells the client when a request expires unanswered', async () => {
      const flow = await start(pingClient, { requested_expiry: '1' });
      const [note] = await listener.arrived(1);
      expect(note.body).toEqual({ auth_req_id: flow.id });
      const record = await recordOf(t, flow.id, 'notifyCibaClient');
      expect(record.action_parameters.result).toBe('expired');
      expect((await poll(t, flow.id, { client: pingClient })).json().error).toBe('expired_token');
    });

    it('records an unreachable endpoint as a failed attempt', async () => {
      const dead = await registerNotifiedClient(t, 'ping', 'http://127.0.0.1:1/cb');
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'gina', client_notification_token: 'abc' },
        { client: dead },
      );
      const id = res.json().auth_req_id;
      await recordOf(t, id, 'indirectDeliverChallenge');
      await answer(t, id, 'approve');
      const failure = await recordOf(t, id, 'notifyCibaClient', 'RESPONSE_FAILURE');
      expect(failure.message).toBe('The notification endpoint could not be reached');
    });
  });

  describe('push', () => {
    it('sends the tokens once to the endpoint; the token endpoint refuses push requests', async () => {
      const flow = await start(pushClient, { acr_values: 'mod-mf' });
      expect(flow.response.interval).toBeUndefined();
      await answer(t, flow.id, 'approve');
      const [note] = await listener.arrived(1);
      expect(note.authorization).toBe(`Bearer ${flow.token}`);
      const body = note.body as Record<string, string>;
      expect(body).toMatchObject({
        auth_req_id: flow.id,
        token_type: 'Bearer',
        access_token: expect.any(String),
        id_token: expect.any(String),
      });
      const jwks = createLocalJWKSet(
        (await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })).json(),
      );
      const { payload } = await jwtVerify(body.id_token, jwks, { audience: pushClient.clientId });
      const digest = createHash('sha256').update(body.access_token).digest();
      expect(payload).toMatchObject({
        sub: gina.id,
        acr: 'mod-mf',
        at_hash: digest.subarray(0, 16).toString('base64url'),
        'urn:openid:params:jwt:claim:auth_req_id': flow.id,
      });

      await recordOf(t, flow.id, 'notifyCibaClient');
      const records = await recordsOfCoi(t, flow.id);
      expect(records.map((r) => [r.action_name, r.correlation_id])).toEqual([
        ['createCibaRequest', flow.correlationId],
        ['indirectDeliverChallenge', flow.correlationId],
        ['approveChallenge', null],
        ['primaryAuthenticateUP', flow.correlationId],
        ['notifyCibaClient', flow.correlationId],
      ]);
      expect(records[3].acting_session_id).toBe(decodeJwt(body.access_token).jti);
      expect(records[4].action_parameters.result).toBe('tokens');

      const polled = await poll(t, flow.id, { client: pushClient });
      expect(polled.json().error).toBe('unauthorized_client');
    });

    it('mints tokens only for the attempt the client accepted', async () => {
      listener.statuses = [503];
      const flow = await start(pushClient);
      await answer(t, flow.id, 'approve');
      const notes = await listener.arrived(2);
      await recordOf(t, flow.id, 'notifyCibaClient');
      const records = await recordsOfCoi(t, flow.id);
      const issued = records.filter(
        (r) => r.action_name === 'primaryAuthenticateUP' && r.result === 'RESPONSE_SUCCESS',
      );
      expect(issued).toHaveLength(1);
      expect(issued[0].acting_session_id).toBe(decodeJwt(notes[1].body.access_token as string).jti);
      const [row] = await t.db.query('SELECT status FROM ciba_requests WHERE id = $1', [flow.id]);
      expect(row.status).toBe('redeemed');
    });

    it('sends access_denied after a denial', async () => {
      const flow = await start(pushClient);
      await answer(t, flow.id, 'deny');
      const [note] = await listener.arrived(1);
      expect(note.body).toMatchObject({ auth_req_id: flow.id, error: 'access_denied' });
    });

    it('sends expired_token when the request expires', async () => {
      const flow = await start(pushClient, { requested_expiry: '1' });
      const [note] = await listener.arrived(1);
      expect(note.body).toMatchObject({ auth_req_id: flow.id, error: 'expired_token' });
    });
  });

  it('never writes a notification token to the trail or the logs', async () => {
    const flow = await start(pingClient);
    await answer(t, flow.id, 'approve');
    await recordOf(t, flow.id, 'notifyCibaClient');
    await eventually(async () => listener.received.length > 0);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1
       AND (action_parameters::text LIKE '%cnt-%' OR coalesce(message, '') LIKE '%cnt-%')`,
      [t.tenant],
    );
    expect(n).toBe(0);
    expect(t.logs.filter((l) => l.includes(flow.token))).toEqual([]);
  });
});
