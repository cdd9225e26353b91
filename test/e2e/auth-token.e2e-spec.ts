import { createLocalJWKSet, decodeProtectedHeader, JSONWebKeySet, jwtVerify } from 'jose';
import { MANAGEMENT_SCOPES, OIDC_SCOPES } from '../../src/common/scopes';
import { basic } from '../factories/client';
import { userBody } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { ADMIN_SECRET, TestApp, TestResponse, uniqueId, uniqueTenant } from '../utils/test-app';
import { form, postToken, WRONG_SECRET } from '../utils/token-endpoint';

describe('authentication and tenants (API.md §3)', () => {
  const s = useTestApp({ tenants: 2, adminToken: false });
  let t: TestApp;
  let other: string;
  beforeAll(() => {
    t = s.t;
    other = t.tenants[1];
  });

  const admin = () => `${t.tenant}-admin`;
  const post = (tenant: string, body: string, headers: Record<string, string> = {}) =>
    postToken(t, tenant, body, headers);
  const issued: string[] = [];
  const keep = (res: TestResponse) => {
    if (res.statusCode === 200) issued.push(res.json().access_token);
    return res;
  };

  describe('POST /{tenant}/authn/token, client_credentials', () => {
    it('client_secret_basic issues a bearer token that is not cached', async () => {
      const res = keep(await t.tokenRequest({ grant_type: 'client_credentials' }));
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: expect.any(String),
      });
    });

    it('client_secret_post issues a token too', async () => {
      const res = keep(
        await post(
          t.tenant,
          form([
            ['grant_type', 'client_credentials'],
            ['client_id', admin()],
            ['client_secret', ADMIN_SECRET],
          ]),
        ),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().token_type).toBe('Bearer');
    });

    it('without scope the token gets every scope the client may have', async () => {
      const res = keep(await t.tokenRequest({ grant_type: 'client_credentials' }));
      expect(res.json().scope.split(' ').sort()).toEqual(
        [...MANAGEMENT_SCOPES, ...OIDC_SCOPES].sort(),
      );
    });

    it('a scope subset is granted as asked', async () => {
      const res = keep(
        await t.tokenRequest({ grant_type: 'client_credentials', scope: 'users:read audit:read' }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe('users:read audit:read');
    });

    it.each([
      ['an unknown scope', 'users:read nope'],
      ['a malformed scope', 'users:read  audit:read'],
    ])('%s is invalid_scope', async (_label, scope) => {
      const res = await t.tokenRequest({ grant_type: 'client_credentials', scope });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_scope');
    });

    it('an unsupported grant type is unsupported_grant_type', async () => {
      const res = await t.tokenRequest({ grant_type: 'password' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('unsupported_grant_type');
    });

    it('a missing grant type is invalid_request', async () => {
      const res = await t.tokenRequest({});
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it.each(['grant_type', 'scope', 'client_id'])(
      'a repeated %s parameter is invalid_request',
      async (name) => {
        const fields: [string, string][] = [
          ['grant_type', 'client_credentials'],
          ['client_id', admin()],
          ['client_secret', ADMIN_SECRET],
        ];
        const value =
          name === 'scope' ? 'users:read' : (fields.find(([k]) => k === name)?.[1] ?? '');
        const res = await post(t.tenant, form([...fields, [name, value], [name, value]]));
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('invalid_request');
      },
    );

    it('both client authentication methods at once is invalid_request', async () => {
      const res = await post(
        t.tenant,
        form([
          ['grant_type', 'client_credentials'],
          ['client_secret', ADMIN_SECRET],
        ]),
        { authorization: basic(admin(), ADMIN_SECRET) },
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it('a JSON body is invalid_request', async () => {
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/token`,
        headers: {
          authorization: basic(admin(), ADMIN_SECRET),
          'content-type': 'application/json',
        },
        payload: { grant_type: 'client_credentials' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    describe('invalid_client answers the same whatever was wrong', () => {
      const cases = (): [string, string, string][] => [
        ['a wrong secret', t.tenant, admin()],
        ['an unknown client', t.tenant, 'no-such-client'],
        ['an unknown tenant', uniqueTenant('ghost'), 'no-such-client'],
        ['an unknown tenant with a known client name', uniqueTenant('ghost'), admin()],
      ];
      const normalise = (res: TestResponse, tenant: string) => ({
        status: res.statusCode,
        body: res.json(),
        challenge: String(res.headers['www-authenticate'] ?? '').replace(tenant, '<tenant>'),
      });

      it('with client_secret_basic: 401 invalid_client and a Basic challenge', async () => {
        const answers = [];
        for (const [, tenant, clientId] of cases()) {
          const res = await post(tenant, form([['grant_type', 'client_credentials']]), {
            authorization: basic(clientId, WRONG_SECRET),
            'x-correlation-id': 'same-for-all',
          });
          answers.push(normalise(res, tenant));
        }
        expect(answers[0]).toEqual({
          status: 401,
          body: {
            error: 'invalid_client',
            error_description: expect.any(String),
            correlationId: 'same-for-all',
          },
          challenge: 'Basic realm="<tenant>"',
        });
        for (const answer of answers) expect(answer).toEqual(answers[0]);
      });

      it('with client_secret_post: 401 invalid_client', async () => {
        const answers = [];
        for (const [, tenant, clientId] of cases()) {
          const res = await post(
            tenant,
            form([
              ['grant_type', 'client_credentials'],
              ['client_id', clientId],
              ['client_secret', WRONG_SECRET],
            ]),
          );
          answers.push(normalise(res, tenant));
        }
        expect(answers[0].status).toBe(401);
        expect(answers[0].body.error).toBe('invalid_client');
        for (const answer of answers) expect(answer).toEqual(answers[0]);
      });

      it('takes about as long for an unknown tenant as for a known one', async () => {
        // Probing `<tenant>-admin` must not tell by the time of the answer whether the tenant
        // exists: every client digest is SHA-256 and an unknown client is compared against
        // one too. What remains is the failure record a known tenant writes (docs/testing.md,
        // known gaps): milliseconds, not the ten-fold gap a slow digest once made.
        const ghost = uniqueTenant('ghost');
        const attempt = async (tenant: string) => {
          const started = process.hrtime.bigint();
          const res = await post(tenant, form([['grant_type', 'client_credentials']]), {
            authorization: basic(`${tenant}-admin`, WRONG_SECRET),
          });
          expect(res.statusCode).toBe(401);
          return Number(process.hrtime.bigint() - started) / 1e6;
        };
        const known: number[] = [];
        const unknown: number[] = [];
        await attempt(ghost);
        for (let i = 0; i < 7; i++) {
          known.push(await attempt(t.tenant));
          unknown.push(await attempt(ghost));
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        expect(Math.abs(median(known) - median(unknown))).toBeLessThan(25);
      });

      it('without any client authentication', async () => {
        const res = await post(t.tenant, form([['grant_type', 'client_credentials']]));
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toBe('invalid_client');
      });
    });
  });

  describe('the access token (RFC 9068)', () => {
    it('is an ES256 at+jwt with a key id, verified by the published JWKS', async () => {
      const res = keep(
        await t.tokenRequest({ grant_type: 'client_credentials', scope: 'users:read' }),
      );
      const { access_token: token, expires_in: expiresIn } = res.json();
      const header = decodeProtectedHeader(token);
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });

      const discovery = (
        await t.request({ method: 'GET', url: `/${t.tenant}/.well-known/openid-configuration` })
      ).json();
      const jwks = (await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })).json();
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as JSONWebKeySet), {
        issuer: discovery.issuer,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      expect(payload).toEqual(
        expect.objectContaining({
          iss: discovery.issuer,
          aud: expect.stringContaining(t.tenant),
          sub: admin(),
          client_id: admin(),
          tenant: t.tenant,
          scope: 'users:read',
          iat: expect.any(Number),
          exp: expect.any(Number),
          jti: expect.any(String),
        }),
      );
      expect(payload.exp! - payload.iat!).toBe(expiresIn);
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(30);
    });

    it('has a fresh jti each time', async () => {
      const a = keep(await t.tokenRequest({ grant_type: 'client_credentials' }));
      const b = keep(await t.tokenRequest({ grant_type: 'client_credentials' }));
      const jti = (tok: string) =>
        JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()).jti;
      expect(jti(a.json().access_token)).not.toBe(jti(b.json().access_token));
    });

    it('each tenant signs with its own key', async () => {
      const jwksA = (
        await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })
      ).json();
      const jwksB = (await t.request({ method: 'GET', url: `/${other}/authn/jwks.json` })).json();
      const kids = (j: { keys: { kid: string }[] }) => j.keys.map((k) => k.kid);
      expect(kids(jwksA)).not.toEqual(expect.arrayContaining(kids(jwksB)));
    });
  });

  describe('primaryAuthenticateUP records', () => {
    it('success: the client acts, with its token id and authentication method', async () => {
      for (const [method, res] of [
        [
          'client_secret_basic',
          await t.tokenRequest({ grant_type: 'client_credentials', scope: 'users:read' }),
        ],
        [
          'client_secret_post',
          await post(
            t.tenant,
            form([
              ['grant_type', 'client_credentials'],
              ['client_id', admin()],
              ['client_secret', ADMIN_SECRET],
              ['scope', 'users:read'],
            ]),
          ),
        ],
      ] as const) {
        keep(res);
        const [record] = await recordsOfRequest(t, res);
        const jti = JSON.parse(
          Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString(),
        ).jti;
        expect(record).toMatchObject({
          action_name: 'primaryAuthenticateUP',
          result: 'RESPONSE_SUCCESS',
          acting_user_id: admin(),
          acting_session_id: jti,
          acting_auth_method: method,
          action_parameters: { Action: 'primaryAuthenticateUP', scope: 'users:read' },
        });
      }
    });

    it('failure: recorded with the claimed client id, never the secret', async () => {
      for (const clientId of [admin(), 'made-up-client']) {
        const res = await post(t.tenant, form([['grant_type', 'client_credentials']]), {
          authorization: basic(clientId, WRONG_SECRET),
          'x-correlation-id': uniqueId('fail'),
        });
        expect(res.statusCode).toBe(401);
        const records = await recordsOfRequest(t, res);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          action_name: 'primaryAuthenticateUP',
          result: 'RESPONSE_FAILURE',
          acting_user_id: clientId,
          correlation_id: res.headers['x-correlation-id'],
          return_value: { status: '401', error: 'invalid_client' },
        });
        expect(JSON.stringify(records[0])).not.toContain(WRONG_SECRET);
      }
    });

    it('failures of other kinds are recorded with their error code', async () => {
      const res = await t.tokenRequest({ grant_type: 'client_credentials', scope: 'nope' });
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        result: 'RESPONSE_FAILURE',
        acting_user_id: admin(),
        return_value: { status: '400', error: 'invalid_scope' },
      });
    });

    it('nothing is recorded for a tenant that does not exist', async () => {
      const ghost = uniqueTenant('ghost');
      const res = await post(ghost, form([['grant_type', 'client_credentials']]), {
        authorization: basic(admin(), WRONG_SECRET),
      });
      expect(res.statusCode).toBe(401);
      const rows = await t.db.query('SELECT 1 FROM audit_records WHERE tenant_id = $1', [ghost]);
      expect(rows).toHaveLength(0);
    });

    it('a write refused before authentication ran is recorded with the client its token names', async () => {
      const token = await t.adminToken();
      for (const [payload, status] of [
        ['{"userName": ', 400],
        [JSON.stringify(userBody(uniqueId(), { displayName: 'x'.repeat(1_100_000) })), 413],
      ] as const) {
        const res = await t.request({
          method: 'POST',
          url: `/${t.tenant}/v2/Users`,
          token,
          payload,
        });
        expect(res.statusCode).toBe(status);
        const [record] = await recordsOfRequest(t, res);
        expect(record).toMatchObject({
          action_name: 'createUser',
          result: 'RESPONSE_FAILURE',
          acting_user_id: admin(),
          return_value: { status: String(status) },
        });
      }
    });

    it('a token request refused before client authentication names the client it claimed', async () => {
      const res = await post(t.tenant, 'grant_type=client_credentials', {
        'content-type': 'text/plain',
        authorization: basic(admin(), WRONG_SECRET),
      });
      expect(res.statusCode).toBe(415);
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        action_name: 'primaryAuthenticateUP',
        result: 'RESPONSE_FAILURE',
        acting_user_id: admin(),
        return_value: { status: '415' },
      });
      expect(JSON.stringify(record)).not.toContain(WRONG_SECRET);
    });

    it('an unauthenticated write is recorded with the client id its token claims', async () => {
      const token = await t.adminToken();
      const [h, p] = token.split('.');
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users`,
        headers: { authorization: `Bearer ${h}.${p}.invalidsignature` },
        payload: userBody(uniqueId()),
      });
      expect(res.statusCode).toBe(401);
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        action_name: 'createUser',
        result: 'RESPONSE_FAILURE',
        acting_user_id: admin(),
        return_value: { status: '401' },
      });
    });
  });

  it('no secret or token reaches a log line, an audit record or an error body', async () => {
    const tokens = issued.filter(Boolean);
    expect(tokens.length).toBeGreaterThan(3);
    const secrets = [ADMIN_SECRET, WRONG_SECRET, ...tokens, ...tokens.map((x) => x.split('.')[2])];
    const logs = t.logs.join('\n');
    const records = JSON.stringify(
      await t.db.query('SELECT * FROM audit_records WHERE tenant_id = ANY($1)', [t.tenants]),
    );
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(records).not.toContain(secret);
    }
    // The digest of the bootstrap secret is not the secret.
    const [client] = await t.db.query(
      'SELECT secret_digest FROM clients WHERE tenant_id = $1 AND client_id = $2',
      [t.tenant, admin()],
    );
    expect(client.secret_digest).not.toContain(ADMIN_SECRET);
    // Error bodies seen above never echo the secret (checked on a fresh failure here).
    const res = await t.tokenRequest({ grant_type: 'client_credentials' }, admin(), WRONG_SECRET);
    expect(res.body).not.toContain(WRONG_SECRET);
  });
});
