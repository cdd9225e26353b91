import { SearchDatabase } from '../../src/database/search-database';
import { bulkRecords, recordAs } from '../utils/audit-seed';
import { createTestApp, TestApp, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

function searcher(t: TestApp, token: string) {
  return (body: Record<string, unknown>, correlationId?: string) =>
    t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/AuditRecords/.search`,
      token,
      correlationId,
      payload: { schemas: [SEARCH_REQUEST], ...body },
    });
}

describe('reads of the audit trail are audited (AUDIT_LOG_ACCESS, API.md §5)', () => {
  let t: TestApp;
  let token: string;
  let search: ReturnType<typeof searcher>;
  const run = uniqueId('acc');

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.adminToken();
    search = searcher(t, token);
    await recordAs(t, { correlationId: `${run}-seed` }, 'createUser');
  });
  afterAll(() => t.close());

  it('records a POST search with what was asked and how much came back', async () => {
    const mine = `${run}-post`;
    const res = await search({ filter: `correlationId eq "${run}-seed"`, count: 5 }, mine);
    expect(res.statusCode).toBe(200);
    const records = await t.recordsFor(mine);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action_name: 'searchAuditRecords',
      result: 'RESPONSE_SUCCESS',
      acting_user_id: `${t.tenant}-admin`,
      correlation_id: mine,
    });
    expect(records[0].action_parameters).toEqual({
      Action: 'searchAuditRecords',
      endpoint: 'AuditRecords',
      filter: `correlationId eq "${run}-seed"`,
      sortOrder: 'ascending',
      paging: 'index',
      startIndex: '1',
      count: '5',
      totalResults: '1',
      itemsPerPage: '1',
    });
  });

  it('records a GET search and a cursor search', async () => {
    const mine = `${run}-get`;
    await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords?filter=coi%20pr&cursor=`,
      token,
      correlationId: mine,
    });
    const [record] = await t.recordsFor(mine);
    expect(record.action_name).toBe('searchAuditRecords');
    expect(record.action_parameters).toMatchObject({ filter: 'coi pr', paging: 'cursor' });
    expect(record.action_parameters.startIndex).toBeUndefined();
  });

  it('records the read of one record as readAuditRecord', async () => {
    const found = await search({ filter: `correlationId eq "${run}-seed"` });
    const id = found.json().Resources[0].id;
    const mine = `${run}-read`;
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords/${id}`,
      token,
      correlationId: mine,
    });
    expect(res.statusCode).toBe(200);
    const [record] = await t.recordsFor(mine);
    expect(record).toMatchObject({ action_name: 'readAuditRecord', result: 'RESPONSE_SUCCESS' });
    expect(record.action_parameters.recordId).toBe(id);
  });

  it('records refused reads once, as failures of the same actions', async () => {
    const bad = `${run}-bad`;
    expect((await search({ filter: 'coi eq' }, bad)).statusCode).toBe(400);
    const missing = `${run}-missing`;
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords/00000000-0000-4000-8000-000000000000`,
      token,
      correlationId: missing,
    });
    expect(res.statusCode).toBe(404);
    const noToken = `${run}-anon`;
    await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords`,
      correlationId: noToken,
    });
    const [failed] = await t.recordsFor(bad);
    expect(failed).toMatchObject({
      action_name: 'searchAuditRecords',
      result: 'RESPONSE_FAILURE',
      return_value: { status: '400', error: 'invalidFilter' },
    });
    expect(await t.recordsFor(bad)).toHaveLength(1);
    const [notFound] = await t.recordsFor(missing);
    expect(notFound).toMatchObject({
      action_name: 'readAuditRecord',
      result: 'RESPONSE_FAILURE',
      return_value: { status: '404' },
    });
    const [anonymous] = await t.recordsFor(noToken);
    expect(anonymous).toMatchObject({
      action_name: 'searchAuditRecords',
      result: 'RESPONSE_FAILURE',
    });
  });

  it('records each of many concurrent searches exactly once, committed before it answers', async () => {
    // Concurrent reads share group-committed inserts; each answer must find its own record.
    const ids = Array.from({ length: 30 }, (_, i) => `${run}-many-${i}`);
    const answers = await Promise.all(
      ids.map(async (cid) => {
        const res = await search({ filter: `correlationId eq "${run}-seed"` }, cid);
        return { status: res.statusCode, records: await t.recordsFor(cid) };
      }),
    );
    for (const { status, records } of answers) {
      expect(status).toBe(200);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ action_name: 'searchAuditRecords' });
    }
  });

  it('fails a read 503 when its record cannot be written, and records the failure', async () => {
    // Stands in for an audit store that refuses this read's success record.
    const fn = `test_refuse_read_${run.replace(/[^a-z0-9]/gi, '_')}`;
    const mine = `${run}-unrecorded`;
    await t.db.query(`
      CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.correlation_id = '${mine}' AND NEW.result = 'RESPONSE_SUCCESS' THEN
          RAISE EXCEPTION 'audit store unavailable (test)';
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(
      `CREATE TRIGGER ${fn} BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    );
    try {
      const res = await search({ filter: `correlationId eq "${run}-seed"` }, mine);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.headers['x-correlation-id']).toBe(mine);
      expect(res.body).not.toMatch(/audit store unavailable|INSERT|audit_records/);
      const records = await t.recordsFor(mine);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'searchAuditRecords',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '503', error: 'temporarily_unavailable' },
      });
    } finally {
      await t.db.query(`DROP TRIGGER IF EXISTS ${fn} ON audit_records`);
      await t.db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    }
  });

  it('answers a repeated filter shape (a prepared statement) from its own values', async () => {
    const other = `${run}-other`;
    await recordAs(t, { correlationId: other }, 'updateUser');
    // Same shape three times: the later runs use the prepared statement.
    for (const [cid, action] of [
      [`${run}-seed`, 'createUser'],
      [other, 'updateUser'],
      [`${run}-seed`, 'createUser'],
      [other, 'updateUser'],
    ]) {
      const res = await search({ filter: `correlationId eq "${cid}"` });
      expect(res.json()).toMatchObject({
        totalResults: 1,
        Resources: [{ correlationId: cid, action: { actionName: action } }],
      });
    }
  });

  it('still records no other GET', async () => {
    const mine = `${run}-users`;
    await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users?filter=userName%20eq`,
      token,
      correlationId: mine,
    });
    await t.request({ method: 'GET', url: `/${t.tenant}/v2/Users`, token, correlationId: mine });
    expect(await t.recordsFor(mine)).toHaveLength(0);
  });
});

describe('with AUDIT_LOG_ACCESS=false and SCIM_RESOURCES_KEY=resources', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('off');

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_LOG_ACCESS: 'false', SCIM_RESOURCES_KEY: 'resources' });
    token = await t.adminToken();
    await recordAs(t, { correlationId: `${run}-seed` }, 'createUser');
  });
  afterAll(() => t.close());

  it('records no read of the trail, successful or not', async () => {
    const search = searcher(t, token);
    const ok = `${run}-ok`;
    const bad = `${run}-bad`;
    expect((await search({ filter: `correlationId eq "${run}-seed"` }, ok)).statusCode).toBe(200);
    expect((await search({ filter: 'coi eq' }, bad)).statusCode).toBe(400);
    expect(await t.recordsFor(ok)).toHaveLength(0);
    expect(await t.recordsFor(bad)).toHaveLength(0);
  });

  it('names the list key "resources", for audit records and users alike', async () => {
    const search = searcher(t, token);
    const res = await search({ filter: `correlationId eq "${run}-seed"` });
    expect(res.json().resources).toHaveLength(1);
    expect(res.json().Resources).toBeUndefined();
    const users = await t.request({ method: 'GET', url: `/${t.tenant}/v2/Users`, token });
    expect(Array.isArray(users.json().resources)).toBe(true);
  });
});

describe('a search that outlasts SEARCH_STATEMENT_TIMEOUT_MS', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('slow');

  beforeAll(async () => {
    // The limit leaves an index lookup ample room on a busy machine; the long messages make the
    // scan below take many times longer than it, however fast the machine.
    t = await createTestApp({ SEARCH_STATEMENT_TIMEOUT_MS: '1000' });
    token = await t.adminToken();
    await bulkRecords(t, 60_000, `${run}-bulk`, t.tenant, 'some ordinary message text '.repeat(60));
  });
  afterAll(() => t.close());

  it('is answered 400 tooMany, never 5xx, and recorded as a failure', async () => {
    // 100 case-insensitive substring tests on each of 60,000 messages of 1,620 characters.
    const filter = Array.from({ length: 100 }, (_, i) => `message co "needle-${i}"`).join(' or ');
    const mine = `${run}-search`;
    const res = await searcher(t, token)({ filter }, mine);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: '400', scimType: 'tooMany' });
    expect(res.json().detail).toMatch(/longer than 1000 ms/);
    expect(res.body).not.toMatch(/cancel|statement|SELECT/i);
    const [record] = await t.recordsFor(mine);
    expect(record).toMatchObject({
      result: 'RESPONSE_FAILURE',
      return_value: { error: 'tooMany' },
    });
  });

  it('leaves searches served by an index alone', async () => {
    await recordAs(t, { correlationId: `${run}-one` }, 'createUser');
    const res = await searcher(t, token)({ filter: `correlationId eq "${run}-one"` });
    expect(res.statusCode).toBe(200);
    expect(res.json().totalResults).toBe(1);
  });
});

describe('a search that waits longer than SEARCH_QUEUE_TIMEOUT_MS for a connection', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('queue');

  beforeAll(async () => {
    t = await createTestApp({ SEARCH_POOL_SIZE: '1', SEARCH_QUEUE_TIMEOUT_MS: '200' });
    token = await t.adminToken();
  });
  afterAll(() => t.close());

  it('is answered 503 with Retry-After in SCIM form, and recorded as a failure', async () => {
    // The only search connection is busy for a second (as with a long search).
    const busy = t.app.get(SearchDatabase).query('SELECT pg_sleep(1)');
    const mine = `${run}-search`;
    const started = Date.now();
    const res = await searcher(t, token)({ filter: `correlationId eq "${run}"` }, mine);
    expect(Date.now() - started).toBeLessThan(900);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '503',
    });
    expect(res.headers['x-correlation-id']).toBe(mine);
    await busy;
    // A refusal for want of a connection is recorded through the failure backlog, which
    // writes it as soon as the database answers (docs/reliability.md): wait for it.
    let [record] = await t.recordsFor(mine);
    for (let i = 0; !record && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [record] = await t.recordsFor(mine);
    }
    expect(record).toMatchObject({ action_name: 'searchAuditRecords', result: 'RESPONSE_FAILURE' });
    // Once the connection is free, searches are answered again.
    const again = await searcher(t, token)({ filter: `correlationId eq "${mine}"` });
    expect(again.statusCode).toBe(200);
    expect(again.json().totalResults).toBe(1);
  });
});
