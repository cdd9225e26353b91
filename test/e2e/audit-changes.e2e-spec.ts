import { ClientKit } from '../factories/client';
import { createUserWithDevice } from '../factories/devices';
import { userBody } from '../factories/user';
import { recomputeHash } from '../utils/audit-hash';
import { answer, bcauthorize, poll, recordOf, sleep, startFlow } from '../utils/ciba';
import { logLines } from '../utils/http';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { recordsOfCoi, recordsOfRequest } from '../utils/records';
import { patchUser } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { createTestApp, TestApp, TestResponse, uniqueId } from '../utils/test-app';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** What changed, from where, and which trace (issue: records an investigator needs). */
describe('audit records: changes, client and trace', () => {
  const s = useTestApp({ env: { ...IMPORT_TEST_ENV, CIBA_POLL_INTERVAL_SECONDS: '1' } });
  let t: TestApp;
  beforeAll(() => ({ t } = s));

  /** The one record of a request, as the API renders it. */
  async function recordOf1(res: TestResponse, action: string): Promise<any> {
    const rows = (await recordsOfRequest(t, res)).filter((r) => r.action_name === action);
    expect(rows).toHaveLength(1);
    const read = await s.send({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords/${rows[0].id}` });
    expect(read.statusCode).toBe(200);
    return read.json();
  }

  async function search(filter: string): Promise<any[]> {
    const res = await s.send({
      method: 'POST',
      url: `/${t.tenant}/v2/AuditRecords/.search`,
      payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter },
    });
    expect(res.statusCode).toBe(200);
    return res.json().Resources;
  }

  async function newUser(extra: Record<string, unknown> = {}) {
    const res = await s.send({
      method: 'POST',
      url: s.users,
      payload: userBody(uniqueId('chg'), { displayName: 'A', ...extra }),
    });
    expect(res.statusCode).toBe(201);
    return { res, user: res.json() };
  }

  describe('users', () => {
    it('PATCH active and displayName: one updateUser record with exactly those two, found by search', async () => {
      const { user } = await newUser();
      const cid = uniqueId('done');
      const res = await patchUser(
        s,
        user.id,
        [
          { op: 'replace', path: 'active', value: false },
          { op: 'replace', path: 'displayName', value: 'B' },
        ],
        { 'x-correlation-id': cid },
      );
      expect(res.statusCode).toBe(200);
      const record = await recordOf1(res, 'updateUser');
      expect(record.changes).toEqual(
        expect.arrayContaining([
          { attribute: 'active', op: 'replace', before: 'true', after: 'false' },
          { attribute: 'displayName', op: 'replace', before: 'A', after: 'B' },
        ]),
      );
      expect(record.changes).toHaveLength(2);
      expect(record.unchanged).toBeUndefined();

      const found = await search(`correlationId eq "${cid}" and changes.attribute eq "active"`);
      expect(found.map((r) => r.id)).toEqual([record.id]);
      const valued = await search(
        `correlationId eq "${cid}" and changes[attribute eq "active" and after eq "false"]`,
      );
      expect(valued.map((r) => r.id)).toEqual([record.id]);
      expect(
        await search(
          `correlationId eq "${cid}" and changes[attribute eq "active" and after eq "true"]`,
        ),
      ).toEqual([]);
    });

    it('POST lists the attributes set; DELETE the attributes the user had', async () => {
      const { res, user } = await newUser({ name: { givenName: 'Ann' } });
      const created = await recordOf1(res, 'createUser');
      expect(created.changes).toEqual([
        { attribute: 'userName', op: 'add', after: user.userName },
        { attribute: 'active', op: 'add', after: 'true' },
        { attribute: 'name.givenName', op: 'add', after: 'Ann' },
        { attribute: 'displayName', op: 'add', after: 'A' },
      ]);
      const del = await s.send({ method: 'DELETE', url: `${s.users}/${user.id}` });
      expect(del.statusCode).toBe(204);
      const deleted = await recordOf1(del, 'deleteUser');
      expect(deleted.changes).toEqual([
        { attribute: 'userName', op: 'remove', before: user.userName },
        { attribute: 'active', op: 'remove', before: 'true' },
        { attribute: 'name.givenName', op: 'remove', before: 'Ann' },
        { attribute: 'displayName', op: 'remove', before: 'A' },
      ]);
    });

    it('PATCH with value paths and remove', async () => {
      const { user } = await newUser({
        name: { givenName: 'Ann', familyName: 'Lee' },
        emails: [
          { type: 'work', value: 'ann@work.example' },
          { type: 'home', value: 'ann@home.example' },
        ],
      });
      const res = await patchUser(s, user.id, [
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'lee@work.example' },
        { op: 'remove', path: 'name.familyName' },
        { op: 'remove', path: 'emails[type eq "home"]' },
      ]);
      expect(res.statusCode).toBe(200);
      expect((await recordOf1(res, 'updateUser')).changes).toEqual([
        { attribute: 'name.familyName', op: 'remove', before: 'Lee' },
        {
          attribute: 'emails[type eq "work"].value',
          op: 'replace',
          before: 'ann@work.example',
          after: 'lee@work.example',
        },
        { attribute: 'emails[type eq "home"].value', op: 'remove', before: 'ann@home.example' },
      ]);
    });

    it('a PUT that changes nothing says so, with no invented diff', async () => {
      const { user } = await newUser();
      const { id: _id, meta: _meta, ...body } = user;
      const res = await s.send({ method: 'PUT', url: `${s.users}/${user.id}`, payload: body });
      expect(res.statusCode).toBe(200);
      const record = await recordOf1(res, 'updateUser');
      expect(record.changes).toEqual([]);
      expect(record.unchanged).toBe(true);
      expect(recomputeHash(record)).toBe(record.hash);
    });

    it('a password change shows as changed, never its value', async () => {
      const { user } = await newUser();
      const password = `Pw-${uniqueId('secret')}`;
      const res = await patchUser(s, user.id, [{ op: 'add', path: 'password', value: password }]);
      expect(res.statusCode).toBe(200);
      const record = await recordOf1(res, 'updateUser');
      expect(record.changes).toEqual([{ attribute: 'password', op: 'add', valueOmitted: true }]);
      const again = await patchUser(s, user.id, [{ op: 'replace', path: 'password', value: 'x2' }]);
      expect((await recordOf1(again, 'updateUser')).changes).toEqual([
        { attribute: 'password', op: 'replace', valueOmitted: true },
      ]);
      const rows = await t.db.query(
        'SELECT changes::text AS c FROM audit_records WHERE request_id = $1',
        [res.headers['x-request-id']],
      );
      expect(rows[0].c).not.toContain(password);
      expect(rows[0].c).not.toContain('scrypt');
    });
  });

  describe('client registration', () => {
    it('create, update and delete carry changes; secrets and tokens show no value', async () => {
      const kit = new ClientKit(t);
      const client = await kit.client({ client_name: 'one', scope: 'users:read' });
      const created = await t.db.query(
        `SELECT action_name, changes FROM audit_records WHERE tenant_id = $1
         AND action_parameters->>'clientId' = $2 ORDER BY created, id`,
        [t.tenant, client.client_id],
      );
      const config = created.find((r: any) => r.action_name === 'createAdapterConfiguration');
      expect(config.changes).toEqual(
        expect.arrayContaining([
          { attribute: 'client_name', op: 'add', after: 'one' },
          { attribute: 'scope', op: 'add', after: 'users:read' },
          { attribute: 'registration_access_token', op: 'add', valueOmitted: true },
        ]),
      );
      const authenticator = created.find((r: any) => r.action_name === 'createUPAuthenticator');
      expect(authenticator.changes).toEqual([
        { attribute: 'client_secret', op: 'add', valueOmitted: true },
      ]);

      const update = await kit.configure('PUT', client, {
        token: client.registration_access_token,
        body: { client_id: client.client_id, client_name: 'two', scope: 'users:read' },
        query: '?rotate_secret=true',
      });
      expect(update.statusCode).toBe(200);
      const records = await recordsOfRequest(t, update);
      const updated = records.find((r) => r.action_name === 'updateAdapterConfiguration');
      expect(updated.changes).toEqual([
        { attribute: 'client_name', op: 'replace', before: 'one', after: 'two' },
      ]);
      const rotated = records.find((r) => r.action_name === 'updateUPAuthenticator');
      expect(rotated?.changes).toEqual([
        { attribute: 'client_secret', op: 'replace', valueOmitted: true },
      ]);

      const del = await kit.configure('DELETE', client, {
        token: client.registration_access_token,
      });
      expect(del.statusCode).toBe(204);
      const gone = await recordsOfRequest(t, del);
      const byAction = Object.fromEntries(gone.map((r) => [r.action_name, r.changes]));
      expect(byAction.deleteUPAuthenticator).toEqual([
        { attribute: 'client_secret', op: 'remove', valueOmitted: true },
      ]);
      expect(byAction.deleteAdapterConfiguration).toEqual(
        expect.arrayContaining([{ attribute: 'client_name', op: 'remove', before: 'two' }]),
      );
      expect(byAction.deleteUser).toEqual(
        expect.arrayContaining([{ attribute: 'userName', op: 'remove', before: client.client_id }]),
      );
      const text = JSON.stringify([created, records, gone]);
      for (const secret of kit.secrets) expect(text).not.toContain(secret);
    });
  });

  describe('imports and CIBA', () => {
    it("an import's createUser records carry their changes, and the request's client, marked as carried", async () => {
      const name = uniqueId('imp');
      const res = await postImport(t, 'Users', {
        users: [{ userName: name, name: { givenName: 'Imp' } }],
      });
      expect(res.statusCode).toBe(201);
      await waitForImport(t, res.headers.location as string);
      const coi = res.json().correlationId;
      const [created] = (await recordsOfCoi(t, coi)).filter((r) => r.action_name === 'createUser');
      expect(created.changes).toEqual([
        { attribute: 'userName', op: 'add', after: name },
        { attribute: 'active', op: 'add', after: 'true' },
        { attribute: 'name.givenName', op: 'add', after: 'Imp' },
      ]);
      expect(created.client).toEqual({
        ipAddress: '127.0.0.1',
        userAgent: expect.any(String),
        fromRequest: true,
      });
    });

    it('device and organization imports record the attributes of each item created', async () => {
      const dsn = uniqueId('DSN');
      const devices = await postImport(t, 'Devices', {
        devices: [{ serialNumber: dsn, type: 'MOBILE', externalId: 'd-ext' }],
      });
      expect(devices.statusCode).toBe(201);
      await waitForImport(t, devices.headers.location as string);
      const [added] = (await recordsOfCoi(t, devices.json().correlationId)).filter(
        (r) => r.action_name === 'addDevice',
      );
      expect(added.changes).toEqual([
        { attribute: 'serialNumber', op: 'add', after: dsn },
        { attribute: 'type', op: 'add', after: 'MOBILE' },
        { attribute: 'status', op: 'add', after: 'ACTIVE' },
        { attribute: 'externalId', op: 'add', after: 'd-ext' },
      ]);
      const ext = uniqueId('org');
      const orgs = await postImport(t, 'Organizations', {
        organizations: [{ name: 'Root', externalId: ext }],
      });
      expect(orgs.statusCode).toBe(201);
      await waitForImport(t, orgs.headers.location as string);
      const [org] = (await recordsOfCoi(t, orgs.json().correlationId)).filter(
        (r) => r.action_name === 'createOrganization',
      );
      expect(org.changes).toEqual([
        { attribute: 'name', op: 'add', after: 'Root' },
        { attribute: 'externalId', op: 'add', after: ext },
      ]);
    });

    it('approve and deny record the status before and after', async () => {
      await createUserWithDevice(t, `ciba-${uniqueId('u')}`.toLowerCase()).then(async (u) => {
        for (const [decision, action, status] of [
          ['approve', 'approveChallenge', 'approved'],
          ['deny', 'denyChallenge', 'denied'],
        ] as const) {
          const id = await startFlow(t, u.userName);
          expect((await answer(t, id, decision)).statusCode).toBe(204);
          const record = await recordOf(t, id, action);
          expect(record.changes).toEqual([
            { attribute: 'status', op: 'replace', before: 'pending', after: status },
          ]);
        }
      });
    });
  });

  describe('CIBA expiry and redemption', () => {
    it('the expiry job and the poll that redeems record the status they moved', async () => {
      const u = await createUserWithDevice(t, `cx-${uniqueId('u')}`.toLowerCase());
      const res = await bcauthorize(t, {
        scope: 'openid',
        login_hint: u.userName,
        requested_expiry: '1',
      });
      expect(res.statusCode).toBe(200);
      const id = res.json().auth_req_id;
      const created = await recordOf(t, id, 'createCibaRequest');
      expect(created.changes).toEqual([{ attribute: 'status', op: 'add', after: 'pending' }]);
      const expired = await recordOf(t, id, 'expireCibaRequest');
      expect(expired.changes).toEqual([
        { attribute: 'status', op: 'replace', before: 'pending', after: 'expired' },
      ]);
      expect(expired.client).toMatchObject({ ipAddress: '127.0.0.1', fromRequest: true });

      const approved = await startFlow(t, u.userName);
      expect((await answer(t, approved, 'approve')).statusCode).toBe(204);
      await sleep(1100);
      const redeemed = await poll(t, approved);
      expect(redeemed.statusCode).toBe(200);
      const [token] = (await recordsOfRequest(t, redeemed)).filter(
        (r) => r.action_name === 'primaryAuthenticateUP',
      );
      expect(token.changes).toEqual([
        { attribute: 'status', op: 'replace', before: 'approved', after: 'redeemed' },
      ]);
    });
  });

  describe('client and trace', () => {
    it('every record of a request carries its address, user agent and traceId, covered by the hash', async () => {
      const res = await s.send({
        method: 'POST',
        url: s.users,
        headers: {
          'user-agent': 'investigator/1.0',
          traceparent: TRACEPARENT,
          tracestate: 'k=v',
          // Not trusted by default (TRUST_PROXY unset): the socket's address is recorded.
          'x-forwarded-for': '203.0.113.9',
        },
        payload: userBody(uniqueId('tr')),
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers.traceresponse).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      const record = await recordOf1(res, 'createUser');
      expect(record.client).toEqual({ ipAddress: '127.0.0.1', userAgent: 'investigator/1.0' });
      expect(record.traceId).toBe(TRACE_ID);
      expect(recomputeHash(record)).toBe(record.hash);
      expect(recomputeHash({ ...record, changes: [] })).not.toBe(record.hash);
      expect(recomputeHash({ ...record, client: { ipAddress: '10.0.0.1' } })).not.toBe(record.hash);
      expect(recomputeHash({ ...record, traceId: undefined })).not.toBe(record.hash);
      const [intact] = await t.db.query(
        'SELECT hash = audit_record_hash(r) AS ok FROM audit_records r WHERE id = $1',
        [record.id],
      );
      expect(intact.ok).toBe(true);

      const found = await search(`traceId eq "${TRACE_ID}" and client.ipAddress eq "127.0.0.1"`);
      expect(found.map((r) => r.id)).toContain(record.id);
      const [line] = logLines(t.logs, {
        requestId: res.headers['x-request-id'] as string,
        msg: 'request completed',
      });
      expect(line.traceId).toBe(TRACE_ID);
    });

    it('an invalid traceparent is ignored: no traceresponse, no traceId, no error', async () => {
      const res = await s.send({
        method: 'POST',
        url: s.users,
        headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
        payload: userBody(uniqueId('tr')),
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers.traceresponse).toBeUndefined();
      const record = await recordOf1(res, 'createUser');
      expect(record.traceId).toBeUndefined();
    });

    it('failure records carry the client too', async () => {
      const res = await s.send({ method: 'POST', url: s.users, payload: { schemas: [] } });
      expect(res.statusCode).toBe(400);
      const [row] = await recordsOfRequest(t, res);
      expect(row.client).toEqual({ ipAddress: '127.0.0.1', userAgent: expect.any(String) });
      expect(row.changes).toBeNull();
    });
  });
});

describe('client address behind a trusted proxy (TRUST_PROXY)', () => {
  const FORWARDED = '203.0.113.7';
  let trusting: TestApp;
  beforeAll(async () => {
    trusting = await createTestApp({ TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => trusting.close());

  it('takes the address from X-Forwarded-For only when the proxy is trusted', async () => {
    const res = await trusting.request({
      method: 'POST',
      url: `/${trusting.tenant}/v2/Users`,
      token: await trusting.adminToken(),
      headers: { 'x-forwarded-for': FORWARDED },
      payload: userBody(uniqueId('px')),
    });
    expect(res.statusCode).toBe(201);
    const [row] = await recordsOfRequest(trusting, res);
    expect(row.client.ipAddress).toBe(FORWARDED);
  });
});
