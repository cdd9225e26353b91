import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../src/config/app-config';
import { ClientKit, RegisteredClient } from '../factories/client';
import { ADMIN_SECRET, createTestApp, TestApp } from '../utils/test-app';

const CIBA = 'urn:openid:params:grant-type:ciba';
const FORM = 'application/x-www-form-urlencoded';
const correlation = (label: string) => `clients-${label}-${randomBytes(4).toString('hex')}`;

describe('OAuth client registration (RFC 7591/7592)', () => {
  let t: TestApp;
  let kit: ClientKit;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    kit = new ClientKit(t);
    admin = await t.adminToken();
    adminId = `${t.tenant}-admin`;
    kit.remember(ADMIN_SECRET, admin);
  });
  afterAll(() => t.close());

  describe('POST /{tenant}/authn/register', () => {
    it('registers a client with the defaults and shows its credentials once', async () => {
      const correlationId = correlation('create');
      const res = await kit.register(
        { client_name: 'Payroll sync' },
        { token: admin, correlationId },
      );
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.headers['x-correlation-id']).toBe(correlationId);
      const body = res.json<RegisteredClient>();
      const base = t.app.get<AppConfig>(APP_CONFIG).publicBaseUrl;
      expect(body).toEqual({
        client_id: expect.any(String),
        client_secret: expect.any(String),
        client_id_issued_at: expect.any(Number),
        client_secret_expires_at: 0,
        registration_client_uri: `${base}/${t.tenant}/authn/register/${body.client_id}`,
        registration_access_token: expect.any(String),
        client_name: 'Payroll sync',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      expect(res.headers.location).toBe(body.registration_client_uri);
      expect(Buffer.from(body.client_secret, 'base64url').length).toBeGreaterThanOrEqual(32);
      expect(body.registration_access_token).not.toBe(body.client_secret);
      expect(Math.abs(body.client_id_issued_at - Date.now() / 1000)).toBeLessThan(120);
      const stored = JSON.stringify(await kit.row(body.client_id));
      expect(stored).not.toContain(body.client_secret);
      expect(stored).not.toContain(body.registration_access_token);
    });

    it('is logged once on completion and counted in the metrics', async () => {
      const correlationId = correlation('logged');
      const res = await kit.register({}, { token: admin, correlationId });
      expect(res.statusCode).toBe(201);
      const lines = t.logs
        .filter((l) => l.includes('"request completed"') && l.includes(correlationId))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        requestId: res.headers['x-request-id'],
        req: { method: 'POST', url: `/${t.tenant}/authn/register` },
        res: { statusCode: 201 },
      });
      const metrics = await t.request({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/:tenant\/authn\/register",status="201"\} [1-9]/,
      );
    });

    it('creates the service account, configuration and authenticator: three records, one call', async () => {
      const correlationId = correlation('fanout');
      const res = await kit.register(
        { client_name: 'fan-out', scope: 'users:read' },
        { token: admin, correlationId },
      );
      expect(res.statusCode).toBe(201);
      const client = res.json<RegisteredClient>();
      const user = await kit.serviceUser(client.client_id);
      expect(user).toMatchObject({ service_account: true, active: true });
      expect((await kit.row(client.client_id)).service_user_id).toBe(user.id);

      const records = await t.recordsFor(correlationId);
      expect(records.map((r) => [r.action_name, r.result])).toEqual([
        ['createUser', 'RESPONSE_SUCCESS'],
        ['createAdapterConfiguration', 'RESPONSE_SUCCESS'],
        ['createUPAuthenticator', 'RESPONSE_SUCCESS'],
      ]);
      for (const record of records) {
        expect(record).toMatchObject({
          correlation_id: correlationId,
          request_id: res.headers['x-request-id'],
          acting_user_id: adminId,
          target_user_id: client.client_id,
          target_user_immutable_id: user.id,
        });
      }
      expect(records[1].action_parameters).toMatchObject({
        clientId: client.client_id,
        grantTypes: 'client_credentials',
        scope: 'users:read',
      });
    });

    it('stores RFC 7591, CIBA and hid_client_* metadata and returns it on read', async () => {
      const metadata: Record<string, unknown> = {
        client_name: 'Branch app',
        grant_types: ['client_credentials', CIBA],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'openid users:read',
        contacts: ['ops@example.com'],
        redirect_uris: ['https://app.example.com/cb'],
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: 'https://app.example.com/ciba',
        hid_client_group: 'UG_CLIENTID',
        hid_client_scopes: '["openid","users:read"]',
      };
      const res = await kit.register({ ...metadata, not_a_member: 'ignored' }, { token: admin });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject(metadata);
      expect(res.json()).not.toHaveProperty('not_a_member');

      const client = res.json<RegisteredClient>();
      const read = await kit.configure('GET', client, { token: client.registration_access_token });
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject(metadata);
      expect(read.json()).not.toHaveProperty('client_secret');
      expect(read.json()).not.toHaveProperty('registration_access_token');
    });

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      [
        'an unsupported grant type',
        { grant_types: ['password'] },
        'invalid_client_metadata',
        /grant_types: "password" is not supported/,
      ],
      [
        'an unknown scope',
        { scope: 'users:read everything' },
        'invalid_client_metadata',
        /scope: "everything" is not a scope of this server/,
      ],
      [
        'a redirect URI that is not one',
        { redirect_uris: ['not a uri'] },
        'invalid_redirect_uri',
        /redirect_uris\[0\] is not an absolute URI/,
      ],
      [
        'push mode without a notification endpoint',
        { grant_types: [CIBA], backchannel_token_delivery_mode: 'push' },
        'invalid_client_metadata',
        /backchannel_client_notification_endpoint is required in push mode/,
      ],
      [
        'a client_id of its own',
        { client_id: 'my-own-id' },
        'invalid_client_metadata',
        /client_id is issued by the server/,
      ],
      [
        'a secret of its own',
        { client_secret: 'a-chosen-secret-that-must-not-leak' },
        'invalid_client_metadata',
        /client_secret is issued by the server/,
      ],
    ])(
      'refuses %s: 400, one failure record, nothing created',
      async (_what, body, error, description) => {
        if (typeof body.client_secret === 'string') kit.remember(body.client_secret);
        const correlationId = correlation('bad');
        const before = await kit.counts();
        const res = await kit.register(body, { token: admin, correlationId });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error, correlationId });
        expect(res.json().error_description).toMatch(description);
        const records = await t.recordsFor(correlationId);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          action_name: 'createAdapterConfiguration',
          result: 'RESPONSE_FAILURE',
          return_value: { status: '400', error },
          acting_user_id: adminId,
        });
        expect(await kit.counts()).toEqual(before);
      },
    );

    it('refuses a body that is not JSON client metadata', async () => {
      const form = await kit.register('client_name=x', {
        token: admin,
        headers: { 'content-type': FORM },
      });
      expect(form.statusCode).toBe(400);
      expect(form.json()).toMatchObject({ error: 'invalid_request' });
      const broken = await kit.register('{"client_name":', { token: admin });
      expect(broken.statusCode).toBe(400);
      const array = await kit.register([], { token: admin });
      expect(array.json()).toMatchObject({ error: 'invalid_client_metadata' });
    });
  });

  it('documents the four operations in the OpenAPI document', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json<{
      paths: Record<
        string,
        Record<string, { operationId: string; parameters?: { name: string }[] }>
      >;
    }>();
    const register = doc.paths['/{tenant}/authn/register'];
    const configuration = doc.paths['/{tenant}/authn/register/{clientId}'];
    expect(register.post.operationId).toBe('registerClient');
    expect(configuration.get.operationId).toBe('readClientRegistration');
    expect(configuration.put.operationId).toBe('updateClientRegistration');
    expect(configuration.delete.operationId).toBe('deleteClientRegistration');
    expect(configuration.put.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['rotate_secret', 'rotate_registration_token', 'X-Correlation-ID']),
    );
  });

  describe('who may register', () => {
    it('needs a bearer token: 401 with a challenge, recorded', async () => {
      const correlationId = correlation('anon');
      const res = await kit.register({}, { correlationId });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer realm="${t.tenant}"`);
      const records = await t.recordsFor(correlationId);
      expect(records.map((r) => [r.action_name, r.result, r.return_value.status])).toEqual([
        ['createAdapterConfiguration', 'RESPONSE_FAILURE', '401'],
      ]);
    });

    it('needs clients:write: 403 insufficient_scope, recorded', async () => {
      const correlationId = correlation('noscope');
      const token = await t.adminToken(t.tenant, 'clients:read users:read');
      const res = await kit.register({}, { token, correlationId });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'insufficient_scope' });
      expect(res.headers['www-authenticate']).toMatch(/scope="clients:write"/);
      const records = await t.recordsFor(correlationId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'createAdapterConfiguration',
        acting_user_id: adminId,
        return_value: { status: '403', error: 'insufficient_scope' },
      });
    });

    it("refuses another tenant's token with 403", async () => {
      const other = await t.adminToken(t.tenants[1]);
      kit.remember(other);
      const res = await kit.register({}, { token: other });
      expect(res.statusCode).toBe(403);
    });

    it('cannot hand out management scopes the caller does not hold', async () => {
      const token = await t.adminToken(t.tenant, 'clients:write users:read');
      kit.remember(token);
      const correlationId = correlation('escalate');
      const res = await kit.register({ scope: 'users:read audit:read' }, { token, correlationId });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'insufficient_scope' });
      expect(res.json().error_description).toMatch(
        /cannot grant scopes it does not hold: audit:read/,
      );
      expect((await t.recordsFor(correlationId))[0]).toMatchObject({
        action_name: 'createAdapterConfiguration',
        result: 'RESPONSE_FAILURE',
      });
      const allowed = await kit.register({ scope: 'users:read openid' }, { token });
      expect(allowed.statusCode).toBe(201);
    });
  });

  describe('tokens of a registered client', () => {
    it('come from /authn/token with its own secret, basic or post, within its scopes', async () => {
      const client = await kit.client({ scope: 'users:read devices:read' });
      const basic = await kit.token(client, client.client_secret);
      expect(basic.statusCode).toBe(200);
      expect(basic.json()).toMatchObject({
        token_type: 'Bearer',
        scope: 'users:read devices:read',
      });
      expect((await kit.apiCall(basic.json().access_token)).statusCode).toBe(200);

      const post = await kit.call({
        method: 'POST',
        url: `/${t.tenant}/authn/token`,
        headers: { 'content-type': FORM },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
          scope: 'users:read',
        }).toString(),
      });
      expect(post.statusCode).toBe(200);
      expect(post.json().scope).toBe('users:read');

      const beyond = await kit.token(client, client.client_secret, 'audit:read');
      expect(beyond.statusCode).toBe(400);
      expect(beyond.json().error).toBe('invalid_scope');
      const wrong = await kit.token(client, `${client.client_secret}x`);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error).toBe('invalid_client');
    });

    it('records the token with the client as actor and its service account as identity', async () => {
      const client = await kit.client();
      const user = await kit.serviceUser(client.client_id);
      const correlationId = correlation('token');
      const res = await kit.call({
        method: 'POST',
        url: `/${t.tenant}/authn/token`,
        correlationId,
        headers: { 'content-type': FORM },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
        }).toString(),
      });
      expect(res.statusCode).toBe(200);
      // A client registered without scopes gets a token with an empty scope.
      expect(res.json().scope).toBe('');
      expect(await t.recordsFor(correlationId)).toMatchObject([
        {
          action_name: 'primaryAuthenticateUP',
          acting_user_id: client.client_id,
          acting_user_immutable_id: user.id,
          acting_auth_method: 'client_secret_post',
        },
      ]);
    });
  });

  describe("a client's service account", () => {
    it('is a SCIM user that can be updated but goes away only with its client', async () => {
      const client = await kit.client({ client_name: 'Service' });
      const user = await kit.serviceUser(client.client_id);
      const url = `/${t.tenant}/v2/Users/${user.id}`;
      const read = await kit.call({ method: 'GET', url, token: admin });
      expect(read.json()).toMatchObject({ userName: client.client_id, userType: 'ServiceAccount' });
      const put = await kit.call({
        method: 'PUT',
        url,
        token: admin,
        payload: { ...read.json<Record<string, unknown>>(), displayName: 'Service (renamed)' },
      });
      expect(put.statusCode).toBe(200);
      expect(put.json().displayName).toBe('Service (renamed)');
      const del = await kit.call({ method: 'DELETE', url, token: admin });
      expect(del.statusCode).toBe(409);
      expect(del.json().detail).toMatch(/service account of an OAuth client/);
      expect(await kit.serviceUser(client.client_id)).toBeDefined();
    });
  });

  describe('all or nothing', () => {
    it('a failure in the third step rolls back the first two', async () => {
      const correlationId = correlation('rollback');
      await t.db.query(`
        CREATE FUNCTION clients_e2e_fail_third_step() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.action_name = 'createUPAuthenticator' AND NEW.result = 'RESPONSE_SUCCESS'
             AND NEW.correlation_id = '${correlationId}' THEN
            RAISE EXCEPTION 'injected failure of the third step';
          END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(`
        CREATE TRIGGER clients_e2e_fail_third_step BEFORE INSERT ON audit_records
        FOR EACH ROW EXECUTE FUNCTION clients_e2e_fail_third_step()`);
      try {
        const before = await kit.counts();
        const res = await kit.register(
          { client_name: 'doomed', scope: 'users:read' },
          { token: admin, correlationId },
        );
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toEqual(expect.any(String));
        expect(res.json()).toMatchObject({ error: 'temporarily_unavailable', correlationId });
        expect(await kit.counts()).toEqual(before);
        const doomed = await t.db.query(
          `SELECT 1 FROM clients WHERE tenant_id = $1 AND client_name = 'doomed'`,
          [t.tenant],
        );
        expect(doomed).toEqual([]);
        const records = await t.recordsFor(correlationId);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          action_name: 'createAdapterConfiguration',
          result: 'RESPONSE_FAILURE',
          return_value: { status: '503', error: 'temporarily_unavailable' },
          request_id: res.headers['x-request-id'],
        });
        // The error is logged, so the secret scan below also covers error log lines.
        const errorLines = t.logs.filter(
          (l) => l.includes('"level":50') && l.includes(String(res.headers['x-request-id'])),
        );
        expect(errorLines.length).toBeGreaterThan(0);
      } finally {
        await t.db.query('DROP TRIGGER clients_e2e_fail_third_step ON audit_records');
        await t.db.query('DROP FUNCTION clients_e2e_fail_third_step()');
      }
      expect((await kit.register({}, { token: admin })).statusCode).toBe(201);
    });
  });

  describe('secrets', () => {
    it('no issued secret or token appears in a log line, an audit record or an error body', async () => {
      // Every test above fed the kit; make sure the scan is not vacuous.
      expect(kit.secrets.size).toBeGreaterThan(20);
      expect(kit.errorBodies.length).toBeGreaterThan(12);
      // Every request leaves at least one log line to scan.
      expect(t.logs.length).toBeGreaterThanOrEqual(kit.calls);
      expect(await kit.leaks()).toEqual([]);
    });
  });
});
