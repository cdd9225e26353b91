import { generateKeyPair, SignJWT } from 'jose';
import { SigningKeysService } from '../../src/auth/signing-keys.service';
import { basic } from '../factories/client';
import { userBody } from '../factories/user';
import { useTestApp } from '../utils/suite';
import { ADMIN_SECRET, createTestApp, TestApp, uniqueId, uniqueTenant } from '../utils/test-app';
import { FORM, form } from '../utils/token-endpoint';

describe('authentication and tenants (API.md §3)', () => {
  const s = useTestApp({ tenants: 2, adminToken: false });
  let t: TestApp;
  let other: string;
  beforeAll(() => {
    t = s.t;
    other = t.tenants[1];
  });

  const admin = () => `${t.tenant}-admin`;

  describe('discovery and JWKS', () => {
    it('publish the issuer, endpoints, grant types, CIBA modes and public keys only', async () => {
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/.well-known/openid-configuration`,
      });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc).toMatchObject({
        issuer: expect.stringMatching(new RegExp(`/${t.tenant}$`)),
        token_endpoint: expect.stringMatching(new RegExp(`/${t.tenant}/authn/token$`)),
        jwks_uri: expect.stringMatching(new RegExp(`/${t.tenant}/authn/jwks.json$`)),
        backchannel_token_delivery_modes_supported: expect.arrayContaining(['poll']),
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
      expect(doc.grant_types_supported).toEqual(
        expect.arrayContaining(['client_credentials', 'urn:openid:params:grant-type:ciba']),
      );
      const jwks = (await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })).json();
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(key.kid).toEqual(expect.any(String));
        expect(key.d).toBeUndefined();
      }
    });

    it.each(['.well-known/openid-configuration', 'authn/jwks.json'])(
      '%s is 404 for an unknown tenant',
      async (path) => {
        const res = await t.request({ method: 'GET', url: `/${uniqueTenant('ghost')}/${path}` });
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toBe('not_found');
      },
    );

    it.each([
      'admin',
      'health',
      'metrics',
      'docs',
      'A-upper',
      'under_score',
      'x',
      `a${'b'.repeat(63)}`,
    ])('a reserved or badly named tenant segment (%s) is an unknown route', async (tenant) => {
      for (const path of ['.well-known/openid-configuration', 'authn/jwks.json']) {
        const res = await t.request({ method: 'GET', url: `/${tenant}/${path}` });
        expect(res.statusCode).toBe(404);
      }
      const token = await t.request({
        method: 'POST',
        url: `/${tenant}/authn/token`,
        headers: { 'content-type': FORM, authorization: basic(admin(), ADMIN_SECRET) },
        payload: form([['grant_type', 'client_credentials']]),
      });
      expect(token.statusCode).toBe(404);
    });
  });

  describe('bearer tokens on tenant routes', () => {
    let token: string;
    beforeAll(async () => {
      token = await t.adminToken();
    });

    const listUsers = (tenant: string, authorization?: string) =>
      t.request({
        method: 'GET',
        url: `/${tenant}/v2/Users`,
        headers: authorization ? { authorization } : {},
      });

    it('a missing token is 401 with a Bearer challenge', async () => {
      const res = await listUsers(t.tenant);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="/);
      expect(res.json()).toMatchObject({ status: '401' });
    });

    it('a valid token works', async () => {
      expect((await listUsers(t.tenant, `Bearer ${token}`)).statusCode).toBe(200);
    });

    async function forged(claims: Record<string, unknown>, opts: { foreignKey?: boolean } = {}) {
      const key = await t.app.get(SigningKeysService).signingKey(t.tenant);
      const signingKey = opts.foreignKey
        ? (await generateKeyPair('ES256')).privateKey
        : key.privateKey;
      const now = Math.floor(Date.now() / 1000);
      const base = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) ??
        {}) as Record<string, unknown>;
      return new SignJWT({ ...base, iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
        .sign(signingKey);
    }

    it.each<[string, () => Promise<string>]>([
      ['garbage', async () => 'not-a-jwt'],
      ['three garbage segments', async () => 'abc.def.ghi'],
      [
        'a tampered payload',
        async () => {
          const [h, p, s] = token.split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
          claims.scope = `${claims.scope} extra`;
          return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
        },
      ],
      ['an expired token', () => forged({ iat: 1_600_000_000, exp: 1_600_000_600 })],
      ['a token signed by another key', () => forged({}, { foreignKey: true })],
      ['a token for another audience', () => forged({ aud: 'https://elsewhere.example/v2' })],
      [
        'an unsigned token',
        async () => {
          const [, p] = token.split('.');
          const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString(
            'base64url',
          );
          return `${h}.${p}.`;
        },
      ],
      [
        'an ID token rather than an access token',
        async () => {
          const key = await t.app.get(SigningKeysService).signingKey(t.tenant);
          const base = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
          return new SignJWT(base)
            .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
            .sign(key.privateKey);
        },
      ],
    ])('%s is 401 invalid_token', async (_label, make) => {
      const res = await listUsers(t.tenant, `Bearer ${await make()}`);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="[^"]+", error="invalid_token"/,
      );
    });

    it('a non-Bearer Authorization header is 401', async () => {
      const res = await listUsers(t.tenant, basic(admin(), ADMIN_SECRET));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    });

    it('a token of tenant A on tenant B is 403, whether B exists or not, revealing nothing', async () => {
      const ghost = uniqueTenant('ghost');
      const onOther = await listUsers(other, `Bearer ${token}`);
      const onGhost = await listUsers(ghost, `Bearer ${token}`);
      expect(onOther.statusCode).toBe(403);
      expect(onGhost.statusCode).toBe(403);
      expect(onOther.json()).toEqual(onGhost.json());
      expect(String(onOther.headers['www-authenticate']).replace(other, 'B')).toBe(
        String(onGhost.headers['www-authenticate']).replace(ghost, 'B'),
      );
      expect(onOther.body).not.toContain(other);
    });

    it('an unknown tenant answers exactly like a known one without or with a bad token', async () => {
      const ghost = uniqueTenant('ghost');
      for (const authorization of [undefined, 'Bearer abc.def.ghi', `Bearer ${token}x`]) {
        const known = await listUsers(other, authorization);
        const unknown = await listUsers(ghost, authorization);
        expect(known.statusCode).toBe(401);
        expect(unknown.statusCode).toBe(known.statusCode);
        expect(unknown.json()).toEqual(known.json());
        expect(String(unknown.headers['www-authenticate']).replace(ghost, 'T')).toBe(
          String(known.headers['www-authenticate']).replace(other, 'T'),
        );
      }
    });

    it('a token without the needed scope is 403 insufficient_scope', async () => {
      const readOnly = await t.adminToken(t.tenant, 'users:read');
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users`,
        token: readOnly,
        payload: userBody(uniqueId()),
      });
      expect(res.statusCode).toBe(403);
      expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
      expect(res.headers['www-authenticate']).toMatch(/scope="users:write"/);
      expect(res.json().detail).toMatch(/users:write/);
      const audit = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/AuditRecords`,
        token: readOnly,
      });
      expect(audit.statusCode).toBe(403);
    });
  });

  describe('bootstrap without BOOTSTRAP_ADMIN_SECRET (outside production)', () => {
    async function startCapturingStdout(env: Record<string, string>) {
      const printed: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
        printed.push(String(chunk));
        return true;
      }) as typeof process.stdout.write);
      try {
        const app = await createTestApp({ BOOTSTRAP_ADMIN_SECRET: '', ...env });
        return { app, printed: printed.join('') };
      } finally {
        spy.mockRestore();
      }
    }

    it('generates a 256-bit secret once, prints it once, stores only a digest', async () => {
      const first = await startCapturingStdout({});
      const tenant = first.app.tenant;
      let secret = '';
      try {
        const match = /client_id:\s+(\S+)\s+client_secret:\s+(\S+)/.exec(first.printed);
        expect(match?.[1]).toBe(`${tenant}-admin`);
        secret = match![2];
        expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
        const ok = await first.app.tokenRequest(
          { grant_type: 'client_credentials' },
          `${tenant}-admin`,
          secret,
          tenant,
        );
        expect(ok.statusCode).toBe(200);
        const [client] = await first.app.db.query(
          'SELECT secret_digest FROM clients WHERE tenant_id = $1',
          [tenant],
        );
        expect(client.secret_digest).not.toContain(secret);
        expect(first.app.logs.join('\n')).not.toContain(secret);
        const records = await first.app.db.query(
          'SELECT * FROM audit_records WHERE tenant_id = $1',
          [tenant],
        );
        expect(JSON.stringify(records)).not.toContain(secret);
      } finally {
        await first.app.close();
      }

      const second = await startCapturingStdout({ BOOTSTRAP_TENANTS: tenant });
      try {
        expect(second.printed).not.toContain('client_secret');
        const again = await second.app.tokenRequest(
          { grant_type: 'client_credentials' },
          `${tenant}-admin`,
          secret,
          tenant,
        );
        expect(again.statusCode).toBe(200);
      } finally {
        await second.app.close();
      }
    });
  });

  it('no secret or token used above reaches a log line or an audit record', async () => {
    const token = await t.adminToken();
    const secrets = [ADMIN_SECRET, token, token.split('.')[2]];
    const logs = t.logs.join('\n');
    const records = JSON.stringify(
      await t.db.query('SELECT * FROM audit_records WHERE tenant_id = ANY($1)', [t.tenants]),
    );
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(records).not.toContain(secret);
    }
  });
});
