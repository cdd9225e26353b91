import { decodeJwt } from 'jose';
import { v7 as uuidv7 } from 'uuid';
import { createTestApp, TestApp, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const RECORD_SCHEMA = 'urn:hid:scim:api:idp:2.0:AuditRecord';
const EVENT_URI = 'urn:hid:scim:api:idp:2.0:event:AuditRecord';

/**
 * Records reach the client as JSON the database renders (auditRecordJsonSql). These records
 * are written straight into the table with every text a caller can influence made hostile
 * (quotes, backslashes, control characters, non-ASCII, markup), and with the optional parts
 * present, absent and empty, then read back through every route that returns records.
 */
describe('audit record JSON (API.md §4)', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('json');
  const hostile = `q"uote \\back\\slash\nnew\tline \u0001\u001f é ✓ 𝄞 </script> '${run}`;
  const full = { id: uuidv7(), correlationId: `${run}-full` };
  const sparse = { id: uuidv7(), correlationId: `${run}-sparse` };

  const insert = (values: unknown[]) =>
    t.db.query(
      `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
         service_host, action_name, action_parameters, result, message, return_value,
         acting_user_id, acting_user_immutable_id, acting_session_id, acting_auth_method,
         target_user_id, target_user_immutable_id, created, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
         now(), '')`,
      values,
    );
  const stored = async (id: string) =>
    (
      await t.db.query<{ created: string; hash: string }[]>(
        `SELECT to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created,
                hash FROM audit_records WHERE id = $1`,
        [id],
      )
    )[0];

  let expectedFull: Record<string, unknown>;
  let expectedSparse: Record<string, unknown>;

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.adminToken();
    const requestId = uuidv7();
    await insert([
      full.id,
      t.tenant,
      full.correlationId,
      requestId,
      `COI-${hostile}`,
      'CH_DIRECT',
      `host ${hostile}`,
      'updateUser',
      JSON.stringify({ Action: 'updateUser', note: hostile }),
      'RESPONSE_FAILURE',
      `message ${hostile}`,
      JSON.stringify({ status: '409', error: 'uniqueness' }),
      `client ${hostile}`,
      `immutable ${hostile}`,
      `session ${hostile}`,
      `method ${hostile}`,
      `user ${hostile}`,
      `target ${hostile}`,
    ]);
    await insert([
      sparse.id,
      t.tenant,
      sparse.correlationId,
      requestId,
      null,
      'CH_DIRECT',
      '',
      'createUser',
      '{}',
      'RESPONSE_SUCCESS',
      null,
      null,
      'client-x',
      '',
      '',
      '',
      null,
      'only-immutable',
    ]);
    const base = (id: string, s: { created: string; hash: string }) => ({
      schemas: [RECORD_SCHEMA],
      id,
      tenantId: t.tenant,
      requestId,
      created: s.created,
      hash: s.hash.trim(),
      meta: {
        resourceType: 'AuditRecord',
        created: s.created,
        location: `http://localhost/${t.tenant}/v2/AuditRecords/${id}`,
      },
    });
    expectedFull = {
      ...base(full.id, await stored(full.id)),
      correlationId: full.correlationId,
      coi: `COI-${hostile}`,
      service: { id: 'CH_DIRECT', host: `host ${hostile}` },
      action: {
        actionName: 'updateUser',
        actionParameters: { Action: 'updateUser', note: hostile },
      },
      result: 'RESPONSE_FAILURE',
      message: `message ${hostile}`,
      return_value: { status: '409', error: 'uniqueness' },
      actingUserId: {
        id: `client ${hostile}`,
        immutableId: `immutable ${hostile}`,
        session: { id: `session ${hostile}`, authenticationMethod: `method ${hostile}` },
      },
      targetUserId: { id: `user ${hostile}`, immutableId: `target ${hostile}` },
    };
    // Absent parts are left out, empty ones too; message is always there, null when absent.
    expectedSparse = {
      ...base(sparse.id, await stored(sparse.id)),
      correlationId: sparse.correlationId,
      service: { id: 'CH_DIRECT' },
      action: { actionName: 'createUser', actionParameters: {} },
      result: 'RESPONSE_SUCCESS',
      message: null,
      actingUserId: { id: 'client-x' },
      targetUserId: { immutableId: 'only-immutable' },
    };
  });

  afterAll(async () => {
    await t.close();
  });

  const withLocation = (expected: Record<string, unknown>, res: { json(): any }) => {
    // The base URL is the test app's; compare the path and the rest exactly.
    const body = res.json();
    const location = new URL(body.meta.location as string);
    expect(`http://localhost${location.pathname}`).toBe(
      (expected.meta as { location: string }).location,
    );
    return { ...body, meta: { ...body.meta, location: (expected.meta as any).location } };
  };

  it('reads each record exactly, hostile text intact, as application/scim+json', async () => {
    for (const [id, expected] of [
      [full.id, expectedFull],
      [sparse.id, expectedSparse],
    ] as const) {
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/AuditRecords/${id}`,
        token,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      expect(withLocation(expected, res)).toStrictEqual(expected);
    }
  });

  it('returns the same records from a search, by GET and by POST', async () => {
    for (const { correlationId } of [full, sparse]) {
      const expected = correlationId === full.correlationId ? expectedFull : expectedSparse;
      const posted = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/AuditRecords/.search`,
        token,
        payload: { schemas: [SEARCH_REQUEST], filter: `correlationId eq "${correlationId}"` },
      });
      const got = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/AuditRecords?filter=${encodeURIComponent(`correlationId eq "${correlationId}"`)}`,
        token,
      });
      for (const res of [posted, got]) {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        expect(res.json()).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
        const [record] = res.json().Resources;
        expect(withLocation(expected, { json: () => record })).toStrictEqual(expected);
      }
    }
  });

  it('finds a hostile value by filter and projects attributes of rendered records', async () => {
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/AuditRecords/.search`,
      token,
      payload: {
        schemas: [SEARCH_REQUEST],
        filter: `message eq ${JSON.stringify(`message ${hostile}`)}`,
        attributes: ['message', 'actingUserId.session'],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().Resources).toStrictEqual([
      {
        schemas: [RECORD_SCHEMA],
        id: full.id,
        message: `message ${hostile}`,
        actingUserId: {
          session: { id: `session ${hostile}`, authenticationMethod: `method ${hostile}` },
        },
      },
    ]);
    const excluded = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords/${sparse.id}?excludedAttributes=meta,hash`,
      token,
    });
    expect(excluded.statusCode).toBe(200);
    const { meta: _meta, hash: _hash, ...rest } = expectedSparse;
    expect(excluded.json()).toStrictEqual(rest);
  });

  it('carries the same record in an Event SET, with txn = coi and toe = created', async () => {
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Events/.search`,
      token,
      payload: {
        schemas: [SEARCH_REQUEST],
        filter: `correlationId eq ${JSON.stringify(`COI-${hostile}`)}`,
      },
    });
    expect(res.statusCode).toBe(200);
    const [set] = res.json().eventTokens as string[];
    const claims = decodeJwt(set);
    expect(claims.jti).toBe(full.id);
    expect(claims.txn).toBe(`COI-${hostile}`);
    expect(claims.toe).toBe(Math.floor(Date.parse(expectedFull.created as string) / 1000));
    const record = (claims.events as Record<string, unknown>)[EVENT_URI];
    expect(withLocation(expectedFull, { json: () => record })).toStrictEqual(expectedFull);
  });

  it('answers an unknown record 404 in SCIM form', async () => {
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords/${uuidv7()}`,
      token,
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: '404' });
  });
});
