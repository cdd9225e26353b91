import * as oidc from 'openid-client';
import { createUserWithDevice } from '../factories/devices';
import { answer, sleep } from '../utils/ciba';
import { freePort } from '../utils/service-process';
import { ADMIN_SECRET, createTestApp, TestApp } from '../utils/test-app';

const GRANT_CIBA = 'urn:openid:params:grant-type:ciba';

/**
 * panva's openid-client 6 as a relying party against the service listening on a real port,
 * with PUBLIC_BASE_URL set to that address: the library checks the issuer against the URL
 * it discovered from (OIDC Discovery §4.3), the token responses, and the ID token
 * (signature from the JWKS, iss, aud, exp, iat). The only relaxation is plain http on
 * loopback.
 */
describe('openid-client as a relying party', () => {
  let t: TestApp;
  let issuer: URL;
  let base: string;
  const insecure = { execute: [oidc.allowInsecureRequests] };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestApp({ PUBLIC_BASE_URL: base, CIBA_POLL_INTERVAL_SECONDS: '1' });
    await t.app.listen(port, '127.0.0.1');
    issuer = new URL(`${base}/${t.tenant}`);
    await createUserWithDevice(t, 'rp-user');
  });
  afterAll(() => t?.close());

  const admin = (auth: oidc.ClientAuth) =>
    oidc.discovery(issuer, `${t.tenant}-admin`, undefined, auth, insecure);

  it('discovers the tenant: the issuer is PUBLIC_BASE_URL/{tenant} exactly', async () => {
    const config = await admin(oidc.ClientSecretBasic(ADMIN_SECRET));
    const server = config.serverMetadata();
    expect(server.issuer).toBe(`${base}/${t.tenant}`);
    expect(server.token_endpoint).toBe(`${base}/${t.tenant}/authn/token`);
    expect(server.registration_endpoint).toBe(`${base}/${t.tenant}/authn/register`);
    expect(server.backchannel_authentication_endpoint).toBe(
      `${base}/${t.tenant}/authn/bcauthorize`,
    );
  });

  it.each([
    ['client_secret_basic', oidc.ClientSecretBasic(ADMIN_SECRET)],
    ['client_secret_post', oidc.ClientSecretPost(ADMIN_SECRET)],
  ])('gets a client_credentials token with %s', async (_method, auth) => {
    const config = await admin(auth);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'users:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'users:read' });
    const payload = JSON.parse(
      Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString('utf8'),
    );
    expect(payload).toMatchObject({ iss: `${base}/${t.tenant}`, aud: `${base}/${t.tenant}/v2` });
    const users = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${base}/${t.tenant}/v2/Users?count=1`),
      'GET',
    );
    expect(users.status).toBe(200);
  });

  it('registers a client (RFC 7591), then reads, updates and deletes it (RFC 7592)', async () => {
    const adminConfig = await admin(oidc.ClientSecretBasic(ADMIN_SECRET));
    const { access_token } = await oidc.clientCredentialsGrant(adminConfig);
    const config = await oidc.dynamicClientRegistration(
      issuer,
      {
        client_name: 'relying party',
        grant_types: ['client_credentials'],
        scope: 'users:read',
        redirect_uris: ['https://rp.example.com/cb'],
      },
      undefined,
      { ...insecure, initialAccessToken: access_token },
    );
    const registered = config.clientMetadata();
    const clientId = registered.client_id;
    expect(registered.registration_client_uri).toBe(
      `${base}/${t.tenant}/authn/register/${clientId}`,
    );
    const registrationToken = registered.registration_access_token as string;
    const uri = new URL(registered.registration_client_uri as string);

    // The registered client works with the secret the registration returned.
    const own = await oidc.discovery(
      issuer,
      clientId,
      undefined,
      oidc.ClientSecretBasic(registered.client_secret as string),
      insecure,
    );
    expect((await oidc.clientCredentialsGrant(own)).scope).toBe('users:read');

    const read = await oidc.fetchProtectedResource(config, registrationToken, uri, 'GET');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: clientId, client_name: 'relying party' });

    const updated = await oidc.fetchProtectedResource(
      config,
      registrationToken,
      uri,
      'PUT',
      JSON.stringify({ client_id: clientId, client_name: 'renamed', scope: 'users:read' }),
      new Headers({ 'content-type': 'application/json' }),
    );
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ client_id: clientId, client_name: 'renamed' });

    const deleted = await oidc.fetchProtectedResource(config, registrationToken, uri, 'DELETE');
    expect(deleted.status).toBe(204);
    // The deleted client's secret no longer works: 401 invalid_client with a Basic challenge.
    const refused = await oidc.clientCredentialsGrant(own).then(
      () => undefined,
      (error: unknown) => error as oidc.WWWAuthenticateChallengeError,
    );
    expect(refused).toMatchObject({ status: 401 });
    expect(await refused?.response.json()).toMatchObject({ error: 'invalid_client' });
  });

  describe('CIBA poll mode, the ID token validated by the library', () => {
    let config: oidc.Configuration;
    beforeAll(async () => {
      const adminConfig = await admin(oidc.ClientSecretBasic(ADMIN_SECRET));
      const { access_token } = await oidc.clientCredentialsGrant(adminConfig);
      const registered = await oidc.dynamicClientRegistration(
        issuer,
        {
          grant_types: [GRANT_CIBA],
          scope: 'openid',
          backchannel_token_delivery_mode: 'poll',
          // The service signs with ES256; openid-client expects RS256 unless told.
          id_token_signed_response_alg: 'ES256',
        },
        undefined,
        { ...insecure, initialAccessToken: access_token },
      );
      const { client_id, client_secret } = registered.clientMetadata();
      config = await oidc.discovery(
        issuer,
        client_id,
        { id_token_signed_response_alg: 'ES256' },
        oidc.ClientSecretBasic(client_secret as string),
        insecure,
      );
    });

    it('approves: the poll gets an access token and a valid ID token for the user', async () => {
      const started = await oidc.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'rp-user',
        binding_message: 'approve me',
      });
      const polled = oidc.pollBackchannelAuthenticationGrant(config, started);
      await sleep(200);
      expect((await answer(t, started.auth_req_id, 'approve')).statusCode).toBe(204);
      const tokens = await polled;
      expect(tokens.access_token).toEqual(expect.any(String));
      const claims = tokens.claims();
      expect(claims).toMatchObject({
        iss: `${base}/${t.tenant}`,
        aud: config.clientMetadata().client_id,
      });
      expect(claims?.sub).toEqual(expect.any(String));
    });

    it('denies: the poll ends in access_denied', async () => {
      const started = await oidc.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'rp-user',
      });
      const polled = oidc.pollBackchannelAuthenticationGrant(config, started);
      // Attach the handler now: the rejection may come before the expectation below runs.
      const outcome = polled.then(
        () => undefined,
        (error: unknown) => error,
      );
      await sleep(200);
      expect((await answer(t, started.auth_req_id, 'deny')).statusCode).toBe(204);
      expect(await outcome).toMatchObject({ error: 'access_denied' });
    });
  });
});
