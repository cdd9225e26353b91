import { randomBytes } from 'node:crypto';
import { ClientKit } from '../factories/client';
import { ADMIN_SECRET, createTestApp, TestApp } from '../utils/test-app';

const CIBA = 'urn:openid:params:grant-type:ciba';
const correlation = (label: string) => `clients-${label}-${randomBytes(4).toString('hex')}`;

describe('client configuration endpoint (RFC 7592)', () => {
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

  it('reads with the registration access token or an admin token, without records', async () => {
    const client = await kit.client({ scope: 'users:read', contacts: ['a@example.com'] });
    const correlationId = correlation('read');
    const own = await kit.configure('GET', client, {
      token: client.registration_access_token,
      correlationId,
    });
    expect(own.statusCode).toBe(200);
    expect(own.headers['cache-control']).toBe('no-store');
    expect(own.json()).toMatchObject({
      client_id: client.client_id,
      client_id_issued_at: client.client_id_issued_at,
      registration_client_uri: client.registration_client_uri,
      scope: 'users:read',
      contacts: ['a@example.com'],
    });
    const byAdmin = await kit.configure('GET', client, { token: admin });
    expect(byAdmin.json()).toEqual(own.json());
    expect(await t.recordsFor(correlationId)).toEqual([]);
  });

  it.each(['GET', 'PUT', 'DELETE'] as const)(
    '%s answers 401 to a missing, wrong or foreign registration token, and is recorded',
    async (method) => {
      const target = await kit.client();
      const other = await kit.client();
      const tokens = [
        undefined,
        randomBytes(32).toString('base64url'),
        other.registration_access_token,
      ];
      for (const token of tokens) {
        const correlationId = correlation('rat');
        const res = await kit.configure(method, target, {
          token,
          correlationId,
          body: method === 'PUT' ? { client_id: target.client_id } : undefined,
        });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(new RegExp(`^Bearer realm="${t.tenant}"`));
        expect(res.json().error).toBe('invalid_token');
        const records = await t.recordsFor(correlationId);
        if (method === 'GET') {
          expect(records).toEqual([]);
        } else {
          expect(records).toHaveLength(1);
          expect(records[0]).toMatchObject({
            action_name: `${method === 'PUT' ? 'update' : 'delete'}AdapterConfiguration`,
            result: 'RESPONSE_FAILURE',
            return_value: { status: '401', error: 'invalid_token' },
            ...(token ? { acting_user_id: target.client_id } : {}),
          });
        }
      }
      expect((await kit.configure('GET', target, { token: admin })).statusCode).toBe(200);
    },
  );

  it('answers 401 to a registration token for a client that does not exist, 404 to an admin', async () => {
    const client = await kit.client();
    const missing = { client_id: 'no-such-client' };
    const own = await kit.configure('GET', missing, { token: client.registration_access_token });
    expect(own.statusCode).toBe(401);
    const byAdmin = await kit.configure('GET', missing, { token: admin });
    expect(byAdmin.statusCode).toBe(404);
    expect(byAdmin.json().error).toBe('not_found');
  });

  it('needs clients:read to read and clients:write to change with an admin token', async () => {
    const client = await kit.client();
    const reader = await t.adminToken(t.tenant, 'clients:read');
    const stranger = await t.adminToken(t.tenant, 'users:read');
    kit.remember(reader, stranger);
    expect((await kit.configure('GET', client, { token: reader })).statusCode).toBe(200);
    expect((await kit.configure('GET', client, { token: stranger })).statusCode).toBe(403);
    const correlationId = correlation('readonly');
    const put = await kit.configure('PUT', client, {
      token: reader,
      correlationId,
      body: { client_id: client.client_id },
    });
    expect(put.statusCode).toBe(403);
    expect(put.headers['www-authenticate']).toMatch(/scope="clients:write"/);
    const del = await kit.configure('DELETE', client, { token: reader, correlationId });
    expect(del.statusCode).toBe(403);
    expect((await t.recordsFor(correlationId)).map((r) => r.action_name)).toEqual([
      'updateAdapterConfiguration',
      'deleteAdapterConfiguration',
    ]);
    expect(await kit.row(client.client_id)).toBeDefined();
  });

  it("refuses another tenant's admin token with 403", async () => {
    const client = await kit.client();
    const other = await t.adminToken(t.tenants[1]);
    expect((await kit.configure('GET', client, { token: other })).statusCode).toBe(403);
    expect((await kit.configure('DELETE', client, { token: other })).statusCode).toBe(403);
  });

  it('replaces the metadata on PUT: omitted members are removed, one record', async () => {
    const client = await kit.client({
      client_name: 'before',
      scope: 'users:read devices:read',
      contacts: ['a@example.com'],
      hid_client_group: 'UG_CLIENTID',
    });
    const correlationId = correlation('put');
    const res = await kit.configure('PUT', client, {
      token: client.registration_access_token,
      correlationId,
      // Members the server issued may be echoed back; they are ignored.
      body: {
        client_id: client.client_id,
        client_name: 'after',
        scope: 'users:read',
        registration_client_uri: client.registration_client_uri,
        client_id_issued_at: client.client_id_issued_at,
        client_secret_expires_at: 0,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      client_id: client.client_id,
      client_id_issued_at: client.client_id_issued_at,
      client_secret_expires_at: 0,
      registration_client_uri: client.registration_client_uri,
      client_name: 'after',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'users:read',
    });
    const records = await t.recordsFor(correlationId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action_name: 'updateAdapterConfiguration',
      result: 'RESPONSE_SUCCESS',
      request_id: res.headers['x-request-id'],
      // With its registration access token the client acts on itself.
      acting_user_id: client.client_id,
      target_user_id: client.client_id,
    });
    expect(records[0].action_parameters).toMatchObject({
      clientId: client.client_id,
      scope: 'users:read',
      changed: 'client_name scope contacts hid_client_group',
    });
    expect((await kit.token(client, client.client_secret)).statusCode).toBe(200);
  });

  it('refuses an update that does not name the client or presents another secret', async () => {
    const client = await kit.client();
    const other = await kit.client();
    const wrongSecret = `${client.client_secret.slice(1)}A`;
    kit.remember(wrongSecret);
    const attempts: [unknown, RegExp][] = [
      [{ client_name: 'x' }, /client_id must be sent/],
      [{ client_id: other.client_id }, /client_id must be sent and must equal/],
      [{ client_id: client.client_id, client_secret: wrongSecret }, /client_secret does not match/],
    ];
    for (const [body, description] of attempts) {
      const correlationId = correlation('badput');
      const res = await kit.configure('PUT', client, { token: admin, correlationId, body });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_client_metadata');
      expect(res.json().error_description).toMatch(description);
      expect((await t.recordsFor(correlationId)).map((r) => r.result)).toEqual([
        'RESPONSE_FAILURE',
      ]);
    }
    const current = await kit.configure('PUT', client, {
      token: admin,
      body: { client_id: client.client_id, client_secret: client.client_secret },
    });
    expect(current.statusCode).toBe(200);
    expect(current.json()).not.toHaveProperty('client_secret');
  });

  it('rotates the secret when asked: the old one stops, the new one works', async () => {
    const client = await kit.client({ scope: 'users:read' });
    const correlationId = correlation('rotate');
    const res = await kit.configure('PUT', client, {
      token: admin,
      correlationId,
      query: '?rotate_secret=true',
      body: { client_id: client.client_id, scope: 'users:read' },
    });
    expect(res.statusCode).toBe(200);
    const secret = res.json().client_secret as string;
    expect(secret).toEqual(expect.any(String));
    expect(secret).not.toBe(client.client_secret);
    expect(res.json()).not.toHaveProperty('registration_access_token');
    const records = await t.recordsFor(correlationId);
    expect(records.map((r) => [r.action_name, r.result])).toEqual([
      ['updateAdapterConfiguration', 'RESPONSE_SUCCESS'],
      ['updateUPAuthenticator', 'RESPONSE_SUCCESS'],
    ]);
    expect(records[1]).toMatchObject({
      acting_user_id: adminId,
      target_user_id: client.client_id,
      action_parameters: { rotated: 'client_secret', clientId: client.client_id },
    });
    expect((await kit.token(client, client.client_secret)).statusCode).toBe(401);
    expect((await kit.token(client, secret)).statusCode).toBe(200);
  });

  it('rotates the registration access token when asked', async () => {
    const client = await kit.client();
    const correlationId = correlation('rotate-rat');
    const res = await kit.configure('PUT', client, {
      token: client.registration_access_token,
      correlationId,
      query: '?rotate_registration_token=true',
      body: { client_id: client.client_id },
    });
    expect(res.statusCode).toBe(200);
    const fresh = res.json().registration_access_token as string;
    expect(fresh).toEqual(expect.any(String));
    expect(res.json()).not.toHaveProperty('client_secret');
    expect((await t.recordsFor(correlationId))[0].action_parameters).toMatchObject({
      rotated: 'registration_access_token',
    });
    const old = await kit.configure('GET', client, { token: client.registration_access_token });
    expect(old.statusCode).toBe(401);
    expect((await kit.configure('GET', client, { token: fresh })).statusCode).toBe(200);
    const bad = await kit.configure('PUT', client, {
      token: fresh,
      query: '?rotate_secret=yes',
      body: { client_id: client.client_id },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_description).toMatch(/rotate_secret must be "true" or "false"/);
  });

  it('lets a client drop scopes with its registration token, never add one', async () => {
    const client = await kit.client({ scope: 'users:read devices:read' });
    const token = await kit.accessToken(client);
    kit.remember(token);
    expect((await kit.apiCall(token)).statusCode).toBe(200);
    const widen = await kit.configure('PUT', client, {
      token: client.registration_access_token,
      body: { client_id: client.client_id, scope: 'users:read audit:read' },
    });
    expect(widen.statusCode).toBe(403);
    expect(widen.json().error_description).toMatch(/does not hold: audit:read/);
    const narrow = await kit.configure('PUT', client, {
      token: client.registration_access_token,
      body: { client_id: client.client_id, scope: 'devices:read' },
    });
    expect(narrow.statusCode).toBe(200);
    // The token issued before keeps only what the client still holds, at once.
    const after = await kit.apiCall(token);
    expect(after.statusCode).toBe(403);
    expect(after.json().detail).toMatch(/lacks the scope users:read/);
  });

  it('cannot be used to take over a client holding scopes the caller lacks', async () => {
    const token = await t.adminToken(t.tenant, 'clients:write users:read');
    kit.remember(token);
    const privileged = await kit.client({ scope: 'users:read audit:read' });
    for (const method of ['PUT', 'DELETE'] as const) {
      const correlationId = correlation('takeover');
      const res = await kit.configure(method, privileged, {
        token,
        correlationId,
        query: method === 'PUT' ? '?rotate_secret=true' : '',
        body: method === 'PUT' ? { client_id: privileged.client_id } : undefined,
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error_description).toMatch(
        /cannot change a client holding scopes it does not hold: audit:read/,
      );
      expect(res.json()).not.toHaveProperty('client_secret');
      expect((await t.recordsFor(correlationId)).map((r) => r.result)).toEqual([
        'RESPONSE_FAILURE',
      ]);
    }
    expect((await kit.token(privileged, privileged.client_secret)).statusCode).toBe(200);
    const modest = await kit.client({ scope: 'users:read openid' });
    const rotated = await kit.configure('PUT', modest, {
      token,
      query: '?rotate_secret=true',
      body: { client_id: modest.client_id, scope: 'users:read' },
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().client_secret).toEqual(expect.any(String));
  });

  it('deletes a client: three records, nothing left, its credentials stop at once', async () => {
    const client = await kit.client({ scope: 'users:read' });
    const user = await kit.serviceUser(client.client_id);
    const token = await kit.accessToken(client);
    expect((await kit.apiCall(token)).statusCode).toBe(200);

    const correlationId = correlation('delete');
    const res = await kit.configure('DELETE', client, {
      token: client.registration_access_token,
      correlationId,
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const records = await t.recordsFor(correlationId);
    expect(records.map((r) => [r.action_name, r.result])).toEqual([
      ['deleteUPAuthenticator', 'RESPONSE_SUCCESS'],
      ['deleteAdapterConfiguration', 'RESPONSE_SUCCESS'],
      ['deleteUser', 'RESPONSE_SUCCESS'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({
        request_id: res.headers['x-request-id'],
        acting_user_id: client.client_id,
        target_user_id: client.client_id,
        target_user_immutable_id: user.id,
      });
    }
    expect(await kit.row(client.client_id)).toBeUndefined();
    expect(await kit.serviceUser(client.client_id)).toBeUndefined();

    const stale = await kit.apiCall(token);
    expect(stale.statusCode).toBe(401);
    expect((await kit.token(client, client.client_secret)).json().error).toBe('invalid_client');
    const own = await kit.configure('GET', client, { token: client.registration_access_token });
    expect(own.statusCode).toBe(401);
    expect((await kit.configure('GET', client, { token: admin })).statusCode).toBe(404);

    const againId = correlation('delete-again');
    const again = await kit.configure('DELETE', client, { token: admin, correlationId: againId });
    expect(again.statusCode).toBe(404);
    expect((await t.recordsFor(againId)).map((r) => [r.action_name, r.result])).toEqual([
      ['deleteAdapterConfiguration', 'RESPONSE_FAILURE'],
    ]);
  });

  it('deletes with an admin token as well', async () => {
    const client = await kit.client();
    const correlationId = correlation('admin-delete');
    const res = await kit.configure('DELETE', client, { token: admin, correlationId });
    expect(res.statusCode).toBe(204);
    const records = await t.recordsFor(correlationId);
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.acting_user_id === adminId)).toBe(true);
  });

  it('shows the bootstrap admin client but leaves changing it to configuration', async () => {
    const bootstrap = { client_id: adminId };
    const read = await kit.configure('GET', bootstrap, { token: admin });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      client_id: adminId,
      grant_types: ['client_credentials', CIBA],
      backchannel_token_delivery_mode: 'poll',
    });
    expect(read.json()).not.toHaveProperty('bootstrap');
    const put = await kit.configure('PUT', bootstrap, {
      token: admin,
      body: { client_id: adminId },
    });
    expect(put.statusCode).toBe(400);
    expect(put.json().error_description).toMatch(/managed by configuration/);
    expect((await kit.configure('DELETE', bootstrap, { token: admin })).statusCode).toBe(400);
    expect((await t.adminToken(t.tenant, 'users:read')).length).toBeGreaterThan(0);
  });

  describe('secrets', () => {
    it('no issued secret or token appears in a log line, an audit record or an error body', async () => {
      // Every test above fed the kit; make sure the scan is not vacuous.
      expect(kit.secrets.size).toBeGreaterThan(40);
      expect(kit.errorBodies.length).toBeGreaterThan(25);
      // Every request leaves at least one log line to scan.
      expect(t.logs.length).toBeGreaterThanOrEqual(kit.calls);
      expect(await kit.leaks()).toEqual([]);
    });
  });
});
