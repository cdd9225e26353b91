import { TransactionHost } from '@nestjs-cls/transactional';
import { Database } from '../../src/database/database';
import { UsersService } from '../../src/users/users.service';
import { user } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { inContext, withFailingAuditInsert } from '../utils/service-context';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId } from '../utils/test-app';

/** UsersService called directly, on the shared test PostgreSQL, inside a request-like context. */
describe('UsersService against the database', () => {
  const s = useTestApp({ tenants: 2, adminToken: false });
  let t: TestApp;
  let users: UsersService;
  beforeAll(() => {
    t = s.t;
    users = t.app.get(UsersService);
  });

  const userRows = (userName: string) =>
    t.db.query('SELECT id, tenant_id FROM users WHERE user_name = $1', [userName]);

  it('writes the user and its createUser record in one transaction, ids from the context', async () => {
    const correlationId = uniqueId('int');
    const requestId = '0190a000-0000-7000-8000-000000000001';
    const body = user();
    const row = await inContext(t, () => users.create(t.tenant, body), {
      correlationId,
      requestId,
    });
    expect(await userRows(body.userName)).toEqual([{ id: row.id, tenant_id: t.tenant }]);
    const records = await recordsOfRequest(t, { correlationId });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action_name: 'createUser',
      result: 'RESPONSE_SUCCESS',
      request_id: requestId,
      target_user_id: body.userName,
    });
  });

  it('rolls the user back when its record cannot be written', async () => {
    const correlationId = uniqueId('int-fail');
    const body = user();
    await withFailingAuditInsert(t, correlationId, () =>
      expect(inContext(t, () => users.create(t.tenant, body), { correlationId })).rejects.toThrow(),
    );
    expect(await userRows(body.userName)).toEqual([]);
    expect(await recordsOfRequest(t, { correlationId })).toEqual([]);
  });

  it('keeps the user-and-record statement prepared on its connection, also past a rollback', async () => {
    const correlationId = uniqueId('int-prepared');
    await withFailingAuditInsert(t, correlationId, () =>
      expect(
        inContext(t, () => users.create(t.tenant, user()), { correlationId }),
      ).rejects.toThrow(),
    );
    const db = t.app.get(Database);
    const body = user();
    // One transaction, so the create and the look at the session's statements share a connection.
    const prepared = await inContext(t, () =>
      t.app.get(TransactionHost).withTransaction(async () => {
        await users.create(t.tenant, body);
        return db.query<{ name: string }>(
          `SELECT name FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO users%'`,
        );
      }),
    );
    expect(prepared).toHaveLength(1);
    expect(await userRows(body.userName)).toHaveLength(1);
  });

  it('rolls a patch back with its record: the stored user keeps its old state', async () => {
    const body = user({ displayName: 'Before' });
    const row = await inContext(t, () => users.create(t.tenant, body));
    const correlationId = uniqueId('int-patch');
    const patch = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'After' }],
    };
    await withFailingAuditInsert(t, correlationId, () =>
      expect(
        inContext(t, () => users.patch(t.tenant, row.id, patch), { correlationId }),
      ).rejects.toThrow(),
    );
    const [stored] = await t.db.query('SELECT resource FROM users WHERE id = $1', [row.id]);
    expect(JSON.stringify(stored.resource)).toContain('Before');
    expect(JSON.stringify(stored.resource)).not.toContain('After');
  });

  it("never finds another tenant's user, whatever the id", async () => {
    const row = await inContext(t, () => users.create(t.tenant, user()));
    const other = t.tenants[1];
    await expect(
      inContext(t, () => users.get(other, row.id), { tenant: other }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      inContext(t, () => users.delete(other, row.id), { tenant: other }),
    ).rejects.toMatchObject({ status: 404 });
    expect(await inContext(t, () => users.get(t.tenant, row.id))).toMatchObject({ id: row.id });
  });
});
