import { v7 as uuidv7 } from 'uuid';
import { newCoi } from '../../src/bulk-import/coi';
import { IMPORT_RETRY_LIMIT, ImportWorker } from '../../src/bulk-import/import-worker.service';
import { RequestContextService } from '../../src/context/request-context.service';
import { userBody } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { recordsOfCoi } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

const COI = /^[0-9A-HJKMNP-TV-Z]{20}$/;

describe('bulk import of users', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });
  let t: TestApp;
  let token: string;
  beforeAll(() => ({ t, token } = s));

  async function importUsers(body: unknown, correlationId?: string) {
    const res = await postImport(t, 'Users', body, correlationId);
    expect(res.statusCode).toBe(201);
    const status = await waitForImport(t, res.headers.location as string);
    return { res, coi: res.json().correlationId as string, status };
  }

  async function userNamed(userName: string): Promise<any> {
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
      token,
    });
    return res.json().Resources[0];
  }

  it("imports HID's sample body: userName from externalId or first email, group applied", async () => {
    const body = {
      users: [
        {
          externalId: 'jdoe',
          name: { familyName: 'Doe', givenName: 'John' },
          emails: [{ value: 'john.doe@example.com', type: 'work' }],
        },
        {
          name: { familyName: 'Roe', givenName: 'Jane' },
          emails: [{ value: 'jane.roe@example.com', type: 'work' }],
        },
      ],
      group: { value: 'UG_ROOT' },
    };
    const res = await postImport(t, 'Users', body, 'seed-import-1');
    expect(res.statusCode).toBe(201);
    const coi = res.json().correlationId;
    expect(coi).toMatch(COI);
    expect(res.headers.location).toBe(`http://localhost:3000/${t.tenant}/v2/Users/.import/${coi}`);
    expect(res.headers.location).toBe(res.json().meta.location);
    expect(res.headers['x-correlation-id']).toBe('seed-import-1');
    expect(res.json()).toEqual({
      schemas: ['urn:hid:scim:api:idp:2.0:user:ImportResponse'],
      meta: {
        resourceType: 'UserImportResponse',
        location: expect.stringMatching(
          new RegExp(`^https?://.+/${t.tenant}/v2/Users/\\.import/${coi}$`),
        ),
        version: '1',
      },
      correlationId: coi,
    });

    const status = await waitForImport(t, res.headers.location as string);
    expect(status).toMatchObject({
      id: coi,
      status: 'completed',
      importSize: 2,
      nbImported: 2,
      nbFailed: 0,
      errors: [],
      meta: { location: res.json().meta.location },
    });

    const jdoe = await userNamed('jdoe');
    expect(jdoe).toMatchObject({
      externalId: 'jdoe',
      name: { familyName: 'Doe', givenName: 'John' },
      groups: [{ value: 'UG_ROOT' }],
    });
    const jane = await userNamed('jane.roe@example.com');
    expect(jane.groups).toEqual([{ value: 'UG_ROOT' }]);

    const records = await t.recordsFor('seed-import-1');
    expect(records.map((r) => [r.action_name, r.result, r.action_parameters.step])).toEqual([
      ['importUsers', 'RESPONSE_SUCCESS', 'start'],
      ['createUser', 'RESPONSE_SUCCESS', undefined],
      ['createUser', 'RESPONSE_SUCCESS', undefined],
      ['importUsers', 'RESPONSE_SUCCESS', 'end'],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        coi,
        request_id: res.headers['x-request-id'],
        correlation_id: 'seed-import-1',
        acting_user_id: `${t.tenant}-admin`,
      });
      expect(r.acting_session_id).toBeTruthy();
      expect(r.action_parameters.COI).toBe(coi);
    }
    expect(records[0].action_parameters.importSize).toBe('2');
    expect(records[3].action_parameters).toMatchObject({ nbImported: '2', nbFailed: '0' });
    expect(records.slice(1, 3).map((r) => [r.target_user_id, r.target_user_immutable_id])).toEqual([
      ['jdoe', jdoe.id],
      ['jane.roe@example.com', jane.id],
    ]);

    // Membership is the server's: replacing the user keeps it.
    const put = await t.request({
      method: 'PUT',
      url: `/${t.tenant}/v2/Users/${jdoe.id}`,
      token,
      payload: userBody('jdoe', { displayName: 'John' }),
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ displayName: 'John', groups: [{ value: 'UG_ROOT' }] });
  });

  it('fails one invalid item of five alone, with its error and a failure record', async () => {
    const { coi, status } = await importUsers(
      {
        users: [
          userBody('five-1'),
          userBody('five-2'),
          { userName: 'five-3', emails: 'not-a-list' },
          userBody('five-4'),
          userBody('five-5'),
        ],
      },
      'five-items',
    );
    expect(status).toMatchObject({
      status: 'completed',
      importSize: 5,
      nbImported: 4,
      nbFailed: 1,
    });
    expect(status.errors).toEqual([
      {
        index: 2,
        userName: 'five-3',
        status: '400',
        scimType: 'invalidValue',
        detail: expect.stringContaining('emails'),
      },
    ]);
    expect(await userNamed('five-3')).toBeUndefined();
    expect((await userNamed('five-5')).userName).toBe('five-5');

    const records = await recordsOfCoi(t, coi);
    expect(records.map((r) => `${r.action_name}:${r.result}`)).toEqual([
      'importUsers:RESPONSE_SUCCESS',
      'createUser:RESPONSE_SUCCESS',
      'createUser:RESPONSE_SUCCESS',
      'createUser:RESPONSE_FAILURE',
      'createUser:RESPONSE_SUCCESS',
      'createUser:RESPONSE_SUCCESS',
      'importUsers:RESPONSE_SUCCESS',
    ]);
    expect(records[3]).toMatchObject({
      correlation_id: 'five-items',
      target_user_id: 'five-3',
      return_value: { status: '400', error: 'invalidValue' },
      message: expect.stringContaining('emails'),
    });
    expect(records[3].action_parameters).toMatchObject({ index: '2', COI: coi });
    expect(records[6].action_parameters).toMatchObject({ nbImported: '4', nbFailed: '1' });
  });

  it('fails an item with a top-level __proto__ member, as a single POST is refused', async () => {
    // JSON.parse keeps the member an own one, so the body sent carries it as written.
    const item = JSON.parse('{"userName": "proto-item", "__proto__": {"displayName": "a"}}');
    const { status } = await importUsers({ users: [userBody('proto-ok'), item] });
    expect(status).toMatchObject({ status: 'completed', nbImported: 1, nbFailed: 1 });
    expect(status.errors).toEqual([
      {
        index: 1,
        userName: 'proto-item',
        status: '400',
        scimType: 'invalidValue',
        detail: '__proto__ is not an attribute name',
      },
    ]);
    expect(await userNamed('proto-item')).toBeUndefined();
  });

  it('refuses duplicate userNames inside one import and against existing users', async () => {
    const existing = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      payload: userBody('dup-existing'),
    });
    expect(existing.statusCode).toBe(201);
    const { coi, status } = await importUsers({
      users: [
        userBody('dup-a'),
        userBody('DUP-EXISTING'),
        userBody('dup-b'),
        userBody('Dup-A'), // same batch as dup-a? no: index 3 starts the second batch
        userBody('dup-c'),
        userBody('dup-c'), // same batch as its twin
        { externalId: 'dup-b' }, // takes its userName from externalId: taken by index 2
      ],
    });
    expect(status).toMatchObject({ importSize: 7, nbImported: 3, nbFailed: 4 });
    expect(status.errors.map((e: any) => [e.index, e.userName, e.status, e.scimType])).toEqual([
      [1, 'DUP-EXISTING', '409', 'uniqueness'],
      [3, 'Dup-A', '409', 'uniqueness'],
      [5, 'dup-c', '409', 'uniqueness'],
      [6, 'dup-b', '409', 'uniqueness'],
    ]);
    const count = await t.db.query(
      `SELECT lower(user_name) AS n, count(*)::int AS c FROM users
       WHERE tenant_id = $1 AND lower(user_name) LIKE 'dup-%' GROUP BY 1 ORDER BY 1`,
      [t.tenant],
    );
    expect(count).toEqual([
      { n: 'dup-a', c: 1 },
      { n: 'dup-b', c: 1 },
      { n: 'dup-c', c: 1 },
      { n: 'dup-existing', c: 1 },
    ]);
    const failures = (await recordsOfCoi(t, coi)).filter((r) => r.result === 'RESPONSE_FAILURE');
    expect(failures.map((r) => [r.action_name, r.target_user_id, r.return_value.error])).toEqual([
      ['createUser', 'DUP-EXISTING', 'uniqueness'],
      ['createUser', 'Dup-A', 'uniqueness'],
      ['createUser', 'dup-c', 'uniqueness'],
      ['createUser', 'dup-b', 'uniqueness'],
    ]);
  });

  it('finds the start, every item and the end by COI through the audit API', async () => {
    const users = Array.from({ length: 8 }, (_, i) => userBody(`coi-search-${i}`));
    users[4] = { name: { givenName: 'nobody' } } as any;
    const { coi, status } = await importUsers({ users }, 'coi-search');
    expect(status).toMatchObject({ nbImported: 7, nbFailed: 1 });
    expect(status.errors).toEqual([
      expect.objectContaining({ index: 4, status: '400', scimType: 'invalidValue' }),
    ]);
    expect(status.errors[0].userName).toBeUndefined();

    const list = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords?count=1000`,
      token,
    });
    const mine = list.json().Resources.filter((r: any) => r.coi === coi);
    expect(mine.map((r: any) => r.action.actionParameters.step ?? r.action.actionName)).toEqual([
      'start',
      ...Array(8).fill('createUser'),
      'end',
    ]);
    expect(mine.every((r: any) => r.correlationId === 'coi-search')).toBe(true);
    expect(mine.every((r: any) => r.action.actionParameters.COI === coi)).toBe(true);
    expect(
      mine.map((r: any) => r.result).filter((x: string) => x === 'RESPONSE_FAILURE'),
    ).toHaveLength(1);
  });

  it('writes records that verify, whether their batch was prepared ahead or not', async () => {
    // Batches of 3: each is read and built while the one before it is written; the third
    // has a password (hashed in its own turn), the fourth a taken name (item by item).
    const users: unknown[] = Array.from({ length: 15 }, (_, i) => userBody(`ahead-${i}`));
    users[7] = { ...userBody('ahead-7'), password: 'Correct-Horse-9' };
    users[10] = userBody('ahead-1');
    const written = async (result: string) => {
      const text = (await t.request({ method: 'GET', url: '/metrics' })).body;
      const line = `audit_records_written_total{action="createUser",result="${result}"} `;
      const at = text.indexOf(line);
      return at < 0 ? 0 : parseInt(text.slice(at + line.length), 10);
    };
    const [ok, failed] = [await written('RESPONSE_SUCCESS'), await written('RESPONSE_FAILURE')];
    const { coi, status } = await importUsers({ users, group: { value: 'UG_ROOT' } }, 'ahead');
    expect(await written('RESPONSE_SUCCESS')).toBe(ok + 14);
    expect(await written('RESPONSE_FAILURE')).toBe(failed + 1);
    expect(status).toMatchObject({ importSize: 15, nbImported: 14, nbFailed: 1 });
    const records = await recordsOfCoi(t, coi);
    expect(records).toHaveLength(17);
    expect(records.every((r) => r.correlation_id === 'ahead' && r.tenant_id === t.tenant)).toBe(
      true,
    );
    const created = records.filter((r) => r.action_name === 'createUser');
    const shared = { Action: 'createUser', COI: coi };
    expect(created.map((r) => r.action_parameters)).toEqual(
      created.map((_, i) => (i === 10 ? { ...shared, index: '10' } : shared)),
    );
    expect(created[0].changes).toEqual(
      expect.arrayContaining([{ attribute: 'userName', op: 'add', after: 'ahead-0' }]),
    );
    // Stamped in their batch's own transaction, not while the batch before it was written:
    // no record is older than the transaction that wrote it (users.created is its start).
    const early = await t.db.query(
      `SELECT r.id FROM audit_records r JOIN users u
         ON u.tenant_id = r.tenant_id AND u.id::text = r.target_user_immutable_id
       WHERE r.tenant_id = $1 AND r.coi = $2 AND r.created < u.created`,
      [t.tenant, coi],
    );
    expect(early).toEqual([]);
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/AuditRecords/.verify`,
      token: await t.adminToken(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ verified: true });
  });

  it('hashes imported passwords and never shows or records them', async () => {
    const { coi, status } = await importUsers({
      users: [userBody('pw-user', { password: 'correct horse battery staple' })],
    });
    expect(status.nbImported).toBe(1);
    const [row] = await t.db.query(
      'SELECT password_hash FROM users WHERE tenant_id = $1 AND user_name = $2',
      [t.tenant, 'pw-user'],
    );
    expect(row.password_hash).toMatch(/^scrypt:/);
    expect((await userNamed('pw-user')).password).toBeUndefined();
    const records = JSON.stringify(await recordsOfCoi(t, coi));
    expect(records).not.toContain('correct horse');
    const chunks = await t.db.query(
      'SELECT count(*)::int AS n FROM import_chunks WHERE job_id = $1',
      [coi],
    );
    expect(chunks[0].n).toBe(0);
  });

  it('answers 400 tooMany above the item limit and 413 above the body limit, recording both', async () => {
    const tooMany = await postImport(
      t,
      'Users',
      { users: Array.from({ length: 26 }, (_, i) => userBody(`many-${i}`)) },
      'too-many',
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ status: '400', scimType: 'tooMany' });
    const tooLarge = await postImport(
      t,
      'Users',
      {
        users: [userBody('large', { displayName: 'x'.repeat(1000) })],
        padding: 'y'.repeat(20_000),
      },
      'too-large',
    );
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.headers['x-correlation-id']).toBe('too-large');
    for (const id of ['too-many', 'too-large']) {
      const records = await t.recordsFor(id);
      expect(records.map((r) => [r.action_name, r.result, r.coi])).toEqual([
        ['importUsers', 'RESPONSE_FAILURE', null],
      ]);
    }
    expect(await userNamed('many-0')).toBeUndefined();
  });

  it('refuses a body that is not an import, and callers without import:write', async () => {
    for (const body of [
      {},
      { users: {} },
      { users: [] },
      [userBody('x')],
      { users: [{}], group: 'G' },
    ]) {
      const res = await postImport(t, 'Users', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    const readOnly = await t.adminToken(t.tenant, 'users:read');
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users/.import`,
      token: readOnly,
      payload: { users: [userBody('nope')] },
    });
    expect(res.statusCode).toBe(403);
    const status = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users/.import/0000000000000000000X`,
      token: readOnly,
    });
    expect(status.statusCode).toBe(403);
  });

  it('gives up on an import whose batch fails on its last attempt', async () => {
    // A job whose items are gone: every batch fails, as a bug or a lasting outage would.
    const broken = newCoi();
    await t.db.query(
      `INSERT INTO import_jobs (id, tenant_id, kind, status, import_size, chunk_size)
       VALUES ($1, $2, 'users', 'running', 4, 3)`,
      [broken, t.tenant],
    );
    const worker = t.app.get(ImportWorker);
    const context = t.app.get(RequestContextService);
    const ctx = { requestId: uuidv7(), correlationId: 'give-up', tenant: t.tenant };
    await expect(context.run(ctx, () => worker.run(broken, 0))).rejects.toThrow(/no chunk/);
    await context.run(ctx, () => worker.run(broken, IMPORT_RETRY_LIMIT));

    const status = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users/.import/${broken}`,
      token,
    });
    // The items never reached count as failed, and the document says why (no internals).
    expect(status.json()).toMatchObject({
      status: 'failed',
      importSize: 4,
      nbImported: 0,
      nbFailed: 4,
      reason: expect.stringMatching(/^The import stopped at item 0 after repeated attempts/),
    });
    expect(status.json().reason).not.toMatch(/chunk|Error|\n\s+at /);
    const records = await t.recordsFor('give-up');
    expect(records.map((r) => [r.action_name, r.result, r.coi, r.action_parameters.step])).toEqual([
      ['importUsers', 'RESPONSE_FAILURE', broken, 'end'],
    ]);
    expect(records[0].return_value).toEqual({ status: '500', error: 'server_error' });
    // Giving up twice changes nothing.
    await context.run(ctx, () => worker.run(broken, IMPORT_RETRY_LIMIT));
    expect(await t.recordsFor('give-up')).toHaveLength(1);
  });

  it('documents the import, device and organization routes in OpenAPI', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
    const post = doc.paths['/{tenant}/v2/Users/.import'].post;
    expect(post.operationId).toBe('importUsers');
    expect(post.requestBody.content['application/json'].schema.properties.users.items.$ref).toBe(
      '#/components/schemas/UserDto',
    );
    expect(post.parameters.map((p: any) => p.name)).toContain('X-Correlation-ID');
    for (const path of [
      '/{tenant}/v2/Devices/.import',
      '/{tenant}/v2/Organizations/.import',
      '/{tenant}/v2/Users/.import/{coi}',
      '/{tenant}/v2/Devices/{id}',
      '/{tenant}/v2/Organizations',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
  });

  it('answers 404 for an unknown COI and for an import of another kind', async () => {
    const { coi } = await importUsers({ users: [userBody('kind-check')] });
    for (const url of [
      `/${t.tenant}/v2/Users/.import/0000000000000000000X`,
      `/${t.tenant}/v2/Devices/.import/${coi}`,
    ]) {
      const res = await t.request({ method: 'GET', url, token });
      expect(res.statusCode).toBe(404);
      expect(res.json().status).toBe('404');
    }
  });
});
