import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import {
  registerCibaClient,
  registerClientCredentialsClient,
  TestClient,
} from '../factories/ciba-clients';
import { createUserWithDevice, TestUser } from '../factories/devices';
import { answer, bcauthorize, poll, recordOf, sleep, startFlow } from '../utils/ciba';
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
      const answers = (await recordsOfCoi(t, id)).filter(
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
      const successes = (await recordsOfCoi(t, id)).filter(
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
      const created = (await recordsOfCoi(t, id))[0];
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

      const records = await recordsOfCoi(t, id);
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
});
