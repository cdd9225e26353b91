import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { createHash } from 'node:crypto';
import { SigningKeysService } from '../../src/auth/signing-keys.service';
import { provisionCibaClient, registerCibaClient } from '../factories/ciba-clients';
import { createDevice, TestDevice, TestUser } from '../factories/devices';
import { createUser } from '../factories/user';
import { answer, bcauthorize, poll, recordOf, startFlow } from '../utils/ciba';
import { recordsOfCoi } from '../utils/records';
import { createTestApp, TestApp } from '../utils/test-app';

describe('CIBA hints: login_hint_token and id_token_hint', () => {
  let t: TestApp;
  let erin: TestUser;
  let phone: TestDevice;
  let tablet: TestDevice;
  let issuer: string;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = `http://localhost:3000/${t.tenant}`;
    erin = await createUser(t, { userName: 'erin' });
    tablet = await createDevice(t, erin.id);
    phone = await createDevice(t, erin.id);
  });
  afterAll(() => t.close());

  /** HID's LHT: an unsigned JWT carrying the user and the context of the operation. */
  const unsigned = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();

  async function signedByTenant(claims: Record<string, unknown>, exp = '5m') {
    const key = await t.app.get(SigningKeysService).signingKey(t.tenant);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key.privateKey);
  }

  it("accepts HID's unsigned LHT and records its context on the delivery", async () => {
    const lht = unsigned({
      authpol: 'AT_TDS',
      tds: '{amount, 400.00},{sortcode,20-30-90}',
      channel: 'CH_TDS',
      usercode: 'erin',
      deviceid: tablet.serialNumber,
      createSession: '1',
    });
    const res = await bcauthorize(
      t,
      { scope: 'openid', login_hint_token: lht },
      { correlationId: 'lht-unsigned' },
    );
    expect(res.statusCode).toBe(200);
    const id = res.json().auth_req_id;
    const digest = createHash('sha256').update(lht).digest('base64url');
    const delivered = await recordOf(t, id, 'indirectDeliverChallenge');
    expect(delivered.correlation_id).toBe('lht-unsigned');
    expect(delivered.target_user_id).toBe('erin');
    expect(delivered.action_parameters).toMatchObject({
      COI: id,
      LHT: digest,
      DSN: tablet.serialNumber,
      CHC: 'CH_TDS',
      ATC: 'AT_TDS',
    });
    const created = (await recordsOfCoi(t, id))[0];
    expect(created.action_parameters).toMatchObject({ hint: 'login_hint_token', LHT: digest });
    // The token itself is never stored in the trail.
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1 AND action_parameters::text LIKE $2`,
      [t.tenant, `%${lht.slice(0, 40)}%`],
    );
    expect(n).toBe(0);
  });

  it('finds the user by sub and delivers to the most recent device without deviceid', async () => {
    const res = await bcauthorize(t, {
      scope: 'openid',
      login_hint_token: unsigned({ sub: erin.id }),
    });
    expect(res.statusCode).toBe(200);
    const delivered = await recordOf(t, res.json().auth_req_id, 'indirectDeliverChallenge');
    expect(delivered.action_parameters.DSN).toBe(phone.serialNumber);
    expect(delivered.action_parameters.CHC).toBeUndefined();
  });

  it('accepts an LHT signed by the tenant key', async () => {
    const res = await bcauthorize(t, {
      scope: 'openid',
      login_hint_token: await signedByTenant({ usercode: 'erin', aud: issuer }),
    });
    expect(res.statusCode).toBe(200);
  });

  it("accepts an LHT signed with a key of the client's registered jwks", async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'client-key-1', alg: 'ES256' };
    const client = await provisionCibaClient(t, { jwks: { keys: [jwk] } });
    const lht = await new SignJWT({ usercode: 'erin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'client-key-1' })
      .setIssuer(client.clientId)
      .setExpirationTime('1m')
      .sign(privateKey);
    const ok = await bcauthorize(t, { scope: 'openid', login_hint_token: lht }, { client });
    expect(ok.statusCode).toBe(200);
    // The same token from a client that does not hold that key is refused.
    const other = await bcauthorize(t, { scope: 'openid', login_hint_token: lht });
    expect(other.statusCode).toBe(400);
    expect(other.json().error).toBe('invalid_request');
  });

  it.each([
    ['is not a JWT', async () => 'not-a-jwt', 'invalid_request'],
    ['names no user', async () => unsigned({ channel: 'CH_TDS' }), 'invalid_request'],
    ['names an unknown user', async () => unsigned({ usercode: 'nobody' }), 'unknown_user_id'],
    [
      'has expired (unsigned)',
      async () => unsigned({ usercode: 'erin', exp: Math.floor(Date.now() / 1000) - 60 }),
      'expired_login_hint_token',
    ],
    [
      'has expired (signed)',
      async () => signedByTenant({ usercode: 'erin' }, '-1m'),
      'expired_login_hint_token',
    ],
    [
      'is for another audience',
      async () => unsigned({ usercode: 'erin', aud: 'https://elsewhere.example' }),
      'invalid_request',
    ],
    [
      'is signed with an unknown key',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT({ usercode: 'erin' })
          .setProtectedHeader({ alg: 'ES256', kid: 'nobody-knows' })
          .sign(privateKey);
      },
      'invalid_request',
    ],
    [
      'was tampered with after signing',
      async () => {
        const [h, , s] = (await signedByTenant({ usercode: 'erin' })).split('.');
        const forged = Buffer.from(JSON.stringify({ usercode: 'mallory' })).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      'invalid_request',
    ],
  ])('refuses an LHT that %s', async (_label, make, error) => {
    const res = await bcauthorize(t, { scope: 'openid', login_hint_token: await make() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe(error);
  });

  it("refuses an LHT naming another user's device or an inactive one", async () => {
    const frank = await createUser(t, { userName: 'frank' });
    const franks = await createDevice(t, frank.id);
    const suspended = await createDevice(t, erin.id, { status: 'SUSPENDED' });
    for (const deviceid of [franks.serialNumber, suspended.serialNumber, 'no-such-device']) {
      const res = await bcauthorize(t, {
        scope: 'openid',
        login_hint_token: unsigned({ usercode: 'erin', deviceid }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('unknown_user_id');
    }
    const byId = await bcauthorize(t, {
      scope: 'openid',
      login_hint_token: unsigned({ usercode: 'erin', deviceid: tablet.id }),
    });
    expect(byId.statusCode).toBe(200);
  });

  describe('id_token_hint', () => {
    let idToken: string;
    let accessToken: string;

    beforeAll(async () => {
      const id = await startFlow(t, 'erin');
      await answer(t, id, 'approve');
      const res = await poll(t, id);
      ({ id_token: idToken, access_token: accessToken } = res.json());
    });

    it('accepts an ID token this tenant issued to the client', async () => {
      const res = await bcauthorize(t, { scope: 'openid', id_token_hint: idToken });
      expect(res.statusCode).toBe(200);
      const created = (await recordsOfCoi(t, res.json().auth_req_id))[0];
      expect(created).toMatchObject({ target_user_id: 'erin', target_user_immutable_id: erin.id });
      expect(created.action_parameters.hint).toBe('id_token_hint');
    });

    it('accepts an expired ID token, as a hint only', async () => {
      const expired = await signedByTenant(
        { sub: erin.id, aud: `${t.tenant}-admin`, iss: issuer },
        '-1h',
      );
      const res = await bcauthorize(t, { scope: 'openid', id_token_hint: expired });
      expect(res.statusCode).toBe(200);
    });

    it('refuses an access token, a token for another client and garbage', async () => {
      const other = await registerCibaClient(t);
      for (const [hint, client] of [
        [accessToken, undefined],
        [idToken, other],
        ['x.y.z', undefined],
      ] as const) {
        const res = await bcauthorize(t, { scope: 'openid', id_token_hint: hint }, { client });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('invalid_request');
      }
    });
  });
});
