import { ISO_MS, UUID_V7 } from '../utils/http';
import { ADMIN_SECRET, createTestApp, TestApp, uniqueId } from '../utils/test-app';
import { recomputeHash } from '../utils/audit-hash';

type Json = Record<string, any>;

import { userBody } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { useTestApp } from '../utils/suite';

describe('audit trail (API.md §4, §5, §10)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let token: string;
  let users: string;
  beforeAll(() => ({ t, token, users } = s));
  const readRecord = (id: string, tenant = t.tenant, bearer = token) =>
    t.request({ method: 'GET', url: `/${tenant}/v2/AuditRecords/${id}`, token: bearer });

  describe('records', () => {
    it('carry a hash that recomputes, in the database and from the API representation', async () => {
      const cid = uniqueId('hash');
      const created = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(uniqueId('hash\u00e9\u4e2d'), {
          displayName: 'quote " and \\ backslash',
        }),
      });
      await send({ method: 'DELETE', url: `${users}/${created.json().id}`, correlationId: cid });
      await send({ method: 'POST', url: users, correlationId: cid, payload: { bad: 'x\ty' } });
      const rows: Json[] = await t.db.query(
        `SELECT id, hash, hash = audit_record_hash(r) AS intact FROM audit_records r
         WHERE tenant_id = $1 AND correlation_id = $2`,
        [t.tenant, cid],
      );
      expect(rows).toHaveLength(3);
      const bad = await t.db.query(
        `SELECT count(*)::int AS n FROM audit_records r
         WHERE tenant_id = ANY($1) AND hash <> audit_record_hash(r)`,
        [t.tenants],
      );
      expect(bad[0].n).toBe(0);
      for (const row of rows) {
        expect(row.intact).toBe(true);
        const resource = (await readRecord(row.id)).json();
        expect(resource.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(resource.hash).toBe(row.hash);
        expect(recomputeHash(resource)).toBe(resource.hash);
      }
    });

    it('read back through GET /v2/AuditRecords/{id} in the shape of API.md §4', async () => {
      const cid = uniqueId('shape');
      const res = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(uniqueId('shape')),
      });
      const user = res.json();
      const [row] = await recordsOfRequest(t, res);
      const read = await readRecord(row.id);
      expect(read.statusCode).toBe(200);
      expect(read.headers['content-type']).toMatch(/^application\/scim\+json/);
      const record = read.json();
      const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti;
      expect(record).toEqual({
        schemas: ['urn:hid:scim:api:idp:2.0:AuditRecord'],
        id: row.id,
        tenantId: t.tenant,
        correlationId: cid,
        requestId: res.headers['x-request-id'],
        service: { id: 'CH_DIRECT', host: expect.any(String) },
        action: { actionName: 'createUser', actionParameters: { Action: 'createUser' } },
        result: 'RESPONSE_SUCCESS',
        message: null,
        actingUserId: {
          id: `${t.tenant}-admin`,
          immutableId: expect.any(String),
          session: { id: jti, authenticationMethod: 'client_secret_basic' },
        },
        targetUserId: { id: user.userName, immutableId: user.id },
        changes: expect.arrayContaining([
          { attribute: 'userName', op: 'add', after: user.userName },
          { attribute: 'active', op: 'add', after: 'true' },
        ]),
        client: { ipAddress: '127.0.0.1', userAgent: expect.any(String) },
        created: expect.stringMatching(ISO_MS),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        meta: {
          resourceType: 'AuditRecord',
          created: expect.stringMatching(ISO_MS),
          location: expect.stringMatching(new RegExp(`/${t.tenant}/v2/AuditRecords/${row.id}$`)),
        },
      });
      expect(record.id).toMatch(UUID_V7);
      expect(record.requestId).toMatch(UUID_V7);
      expect(record.meta.created).toBe(record.created);
      expect(record.coi).toBeUndefined();
    });

    it('failures carry message and return_value {status, error}', async () => {
      const res = await send({ method: 'POST', url: users, payload: { schemas: [] } });
      const [row] = await recordsOfRequest(t, res);
      const record = (await readRecord(row.id)).json();
      expect(record).toMatchObject({
        result: 'RESPONSE_FAILURE',
        message: expect.any(String),
        return_value: { status: '400', error: 'invalidValue' },
      });
      expect(record.correlationId).toBeUndefined();
    });

    it('store created at millisecond precision from the database clock', async () => {
      const before = Date.now();
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const [row] = await recordsOfRequest(t, res);
      const [db] = await t.db.query(
        `SELECT created = date_trunc('milliseconds', created) AS ms,
                to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS text
         FROM audit_records WHERE id = $1`,
        [row.id],
      );
      expect(db.ms).toBe(true);
      const record = (await readRecord(row.id)).json();
      expect(record.created).toBe(db.text);
      expect(Math.abs(Date.parse(record.created) - before)).toBeLessThan(60_000);
    });

    it('a record of another tenant, an unknown id or a malformed id is 404', async () => {
      const otherToken = await t.adminToken(t.tenants[1]);
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const [row] = await recordsOfRequest(t, res);
      expect((await readRecord(row.id, t.tenants[1], otherToken)).statusCode).toBe(404);
      for (const id of ['00000000-0000-7000-8000-000000000000', 'not-a-uuid', "x' OR '1'='1"]) {
        const missing = await readRecord(encodeURIComponent(id));
        expect(missing.statusCode).toBe(404);
        expect(missing.json()).toMatchObject({ status: '404' });
      }
    });

    it('reading the trail needs the audit:read scope', async () => {
      const usersOnly = await t.adminToken(t.tenant, 'users:read users:write');
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const [row] = await recordsOfRequest(t, res);
      expect((await readRecord(row.id, t.tenant, usersOnly)).statusCode).toBe(403);
      const auditOnly = await t.adminToken(t.tenant, 'audit:read');
      expect((await readRecord(row.id, t.tenant, auditOnly)).statusCode).toBe(200);
    });

    it("GET /v2/AuditRecords pages the tenant's records, oldest first", async () => {
      const all = (
        await send({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords?count=1000` })
      ).json();
      expect(all.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(all.totalResults).toBeGreaterThan(5);
      const keys = all.Resources.map((r: Json) => [r.created, r.id]);
      expect(keys).toEqual(
        [...keys].sort(
          (a: string[], b: string[]) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]),
        ),
      );
      expect(all.Resources.every((r: Json) => r.tenantId === t.tenant)).toBe(true);
      // Bootstrap created the admin client: the trail starts with its three records.
      expect(all.Resources.slice(0, 3).map((r: Json) => r.action.actionName)).toEqual([
        'createUser',
        'createAdapterConfiguration',
        'createUPAuthenticator',
      ]);
      const page = (
        await send({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords?startIndex=2&count=2` })
      ).json();
      // Reading the trail is itself recorded (AUDIT_LOG_ACCESS, on by default), so the
      // first listing added one searchAuditRecords record that the second one counts.
      expect(page).toMatchObject({
        startIndex: 2,
        itemsPerPage: 2,
        totalResults: all.totalResults + 1,
      });
      expect(page.Resources.map((r: Json) => r.id)).toEqual(
        all.Resources.slice(1, 3).map((r: Json) => r.id),
      );
    });
  });

  describe('bootstrap (API.md §3)', () => {
    it('records what it creates as system:bootstrap, without a correlation id', async () => {
      const rows: Json[] = await t.db.query(
        `SELECT action_name, acting_user_id, correlation_id, target_user_id
         FROM audit_records WHERE tenant_id = $1 AND acting_user_id = 'system:bootstrap'
         ORDER BY created, id`,
        [t.tenants[1]],
      );
      expect(rows).toEqual(
        ['createUser', 'createAdapterConfiguration', 'createUPAuthenticator'].map((action) => ({
          action_name: action,
          acting_user_id: 'system:bootstrap',
          correlation_id: null,
          target_user_id: `${t.tenants[1]}-admin`,
        })),
      );
    });

    it('is idempotent: a second start creates no tenant, client, key or record', async () => {
      const snapshot = async () => ({
        records: (
          await t.db.query(
            'SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = ANY($1)',
            [t.tenants],
          )
        )[0].n,
        clients: await t.db.query(
          'SELECT tenant_id, client_id, secret_digest FROM clients WHERE tenant_id = ANY($1) ORDER BY 1, 2',
          [t.tenants],
        ),
        keys: await t.db.query(
          'SELECT kid FROM signing_keys WHERE tenant_id = ANY($1) ORDER BY kid',
          [t.tenants],
        ),
        users: (
          await t.db.query('SELECT count(*)::int AS n FROM users WHERE tenant_id = ANY($1)', [
            t.tenants,
          ])
        )[0].n,
      });
      const before = await snapshot();
      const again = await createTestApp({ BOOTSTRAP_TENANTS: t.tenants.join(',') });
      try {
        expect(await snapshot()).toEqual(before);
        // The restarted service still accepts the same secret and the earlier tokens.
        expect(
          (
            await again.tokenRequest(
              { grant_type: 'client_credentials' },
              `${t.tenant}-admin`,
              ADMIN_SECRET,
              t.tenant,
            )
          ).statusCode,
        ).toBe(200);
        const res = await again.request({ method: 'GET', url: `${users}?count=0`, token });
        expect(res.statusCode).toBe(200);
      } finally {
        await again.close();
      }
    });

    it('a changed BOOTSTRAP_ADMIN_SECRET replaces the old one and is recorded', async () => {
      const tenant = t.tenants[1];
      const newSecret = `${ADMIN_SECRET}-rotated`;
      const again = await createTestApp({
        BOOTSTRAP_TENANTS: tenant,
        BOOTSTRAP_ADMIN_SECRET: newSecret,
      });
      try {
        const form = { grant_type: 'client_credentials' };
        expect(
          (await again.tokenRequest(form, `${tenant}-admin`, ADMIN_SECRET, tenant)).statusCode,
        ).toBe(401);
        expect(
          (await again.tokenRequest(form, `${tenant}-admin`, newSecret, tenant)).statusCode,
        ).toBe(200);
        const rows: Json[] = await t.db.query(
          `SELECT action_parameters FROM audit_records
           WHERE tenant_id = $1 AND action_name = 'updateUPAuthenticator'`,
          [tenant],
        );
        expect(rows).toHaveLength(1);
        expect(JSON.stringify(rows)).not.toContain(newSecret);
      } finally {
        await again.close();
      }
    });
  });
});
