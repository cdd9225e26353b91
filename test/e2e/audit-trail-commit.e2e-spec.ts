import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { ClientProvisioningService } from '../../src/clients/client-provisioning.service';
import { RequestContextService } from '../../src/context/request-context.service';
import { userBody } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp, TestResponse, uniqueId } from '../utils/test-app';

describe('audit trail (API.md §4, §5, §10)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));

  describe('a change and its record commit together', () => {
    const suffix = randomBytes(4).toString('hex');
    const fn = `test_refuse_audit_${suffix}`;
    const prefix = `audit-down-${suffix}`;

    beforeAll(async () => {
      // Stands in for an audit store that cannot take the record: success records of these
      // correlation ids are refused; failure records (written afterwards) still go through.
      // `<prefix>-last-...` refuses only the last record of a client's three.
      await t.db.query(`
        CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.correlation_id LIKE '${prefix}%' AND NEW.result = 'RESPONSE_SUCCESS'
             AND (NEW.correlation_id NOT LIKE '${prefix}-last-%'
                  OR NEW.action_name = 'createUPAuthenticator') THEN
            RAISE EXCEPTION 'audit store unavailable (test)';
          END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(
        `CREATE TRIGGER ${fn} BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      );
    });
    afterAll(async () => {
      await t.db.query(`DROP TRIGGER IF EXISTS ${fn} ON audit_records`);
      await t.db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    });

    function expectUnavailable(res: TestResponse): void {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).not.toMatch(/audit store unavailable|INSERT|audit_records/);
    }

    async function expectFailureRecord(res: TestResponse, action: string): Promise<void> {
      const records = await recordsOfRequest(t, res);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: action,
        result: 'RESPONSE_FAILURE',
        correlation_id: res.headers['x-correlation-id'],
        return_value: { status: '503', error: 'temporarily_unavailable' },
      });
    }

    it('create: 503 with Retry-After, no user, one failure record', async () => {
      const userName = uniqueId('lost');
      const res = await send({
        method: 'POST',
        url: users,
        correlationId: `${prefix}-create`,
        payload: userBody(userName),
      });
      expectUnavailable(res);
      expect(res.json()).toMatchObject({ status: '503', correlationId: `${prefix}-create` });
      expect(await t.db.query('SELECT 1 FROM users WHERE user_name = $1', [userName])).toEqual([]);
      await expectFailureRecord(res, 'createUser');
    });

    it('update and delete: 503 and the user is unchanged', async () => {
      const created = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const user = created.json();
      const put = await send({
        method: 'PUT',
        url: `${users}/${user.id}`,
        correlationId: `${prefix}-put`,
        payload: userBody(uniqueId('renamed')),
      });
      expectUnavailable(put);
      await expectFailureRecord(put, 'updateUser');
      const del = await send({
        method: 'DELETE',
        url: `${users}/${user.id}`,
        correlationId: `${prefix}-delete`,
      });
      expectUnavailable(del);
      await expectFailureRecord(del, 'deleteUser');
      const now = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(now.statusCode).toBe(200);
      expect(now.json()).toEqual(user);
    });

    it('a call with several records: all share its ids, and one refused record undoes all', async () => {
      const context = t.app.get(RequestContextService);
      const txHost = t.app.get(TransactionHost, {
        strict: false,
      }) as TransactionHost<TransactionalAdapterTypeOrm>;
      const provisioning = t.app.get(ClientProvisioningService);
      const provision = (correlationId: string, clientId: string) =>
        context.run(
          {
            requestId: uuidv7(),
            correlationId,
            tenant: t.tenant,
            actor: { id: `${t.tenant}-admin` },
          },
          () =>
            txHost.withTransaction(() =>
              provisioning.provision(t.tenant, {
                clientId,
                grantTypes: ['client_credentials'],
                scopes: [],
                tokenEndpointAuthMethod: 'client_secret_basic',
                metadata: {},
              }),
            ),
        );

      const okId = uniqueId('multi');
      await provision(`multi-fine-${suffix}`, okId);
      const records = await t.recordsFor(`multi-fine-${suffix}`);
      expect(records.map((r) => r.action_name)).toEqual([
        'createUser',
        'createAdapterConfiguration',
        'createUPAuthenticator',
      ]);
      expect(new Set(records.map((r) => r.request_id)).size).toBe(1);

      const lostId = uniqueId('multi');
      await expect(provision(`${prefix}-last-client`, lostId)).rejects.toThrow(/audit trail/);
      expect(await t.recordsFor(`${prefix}-last-client`)).toEqual([]);
      expect(
        await t.db.query('SELECT 1 FROM clients WHERE tenant_id = $1 AND client_id = $2', [
          t.tenant,
          lostId,
        ]),
      ).toEqual([]);
      expect(
        await t.db.query('SELECT 1 FROM users WHERE tenant_id = $1 AND user_name = $2', [
          t.tenant,
          lostId,
        ]),
      ).toEqual([]);
    });

    it('token: 503 and no token when primaryAuthenticateUP cannot be recorded', async () => {
      const res = await t.tokenRequest(
        { grant_type: 'client_credentials' },
        undefined,
        undefined,
        t.tenant,
        { 'x-correlation-id': `${prefix}-token` },
      );
      expectUnavailable(res);
      expect(res.json().access_token).toBeUndefined();
      expect(res.json().error).toBe('temporarily_unavailable');
    });
  });

  describe('append-only', () => {
    let recordId: string;
    beforeAll(async () => {
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      recordId = (await recordsOfRequest(t, res))[0].id;
    });

    it('the service role is not a superuser and holds no UPDATE, DELETE or TRUNCATE', async () => {
      const [role] = await t.serviceDb.query(
        'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
      );
      expect(role.rolsuper).toBe(false);
      const [privileges] = await t.serviceDb.query(`
        SELECT has_table_privilege('audit_records', 'INSERT') AS insert,
               has_table_privilege('audit_records', 'SELECT') AS select,
               has_table_privilege('audit_records', 'UPDATE') AS update,
               has_table_privilege('audit_records', 'DELETE') AS delete,
               has_table_privilege('audit_records', 'TRUNCATE') AS truncate`);
      expect(privileges).toEqual({
        insert: true,
        select: true,
        update: false,
        delete: false,
        truncate: false,
      });
    });

    it.each([
      ['UPDATE', `UPDATE audit_records SET message = 'forged' WHERE id = $1`],
      ['DELETE', 'DELETE FROM audit_records WHERE id = $1'],
      ['TRUNCATE', 'TRUNCATE audit_records'],
    ])('%s is refused to the service role', async (_op, sql) => {
      await expect(
        t.serviceDb.query(sql, sql.includes('$1') ? [recordId] : []),
      ).rejects.toMatchObject({
        driverError: { code: '42501' },
      });
    });

    it('the trigger refuses UPDATE, DELETE and TRUNCATE even to a role holding the privileges', async () => {
      // A superuser (t.db): the service role could not even grant itself the privileges.
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query('GRANT UPDATE, DELETE, TRUNCATE ON audit_records TO current_user');
        for (const sql of [
          `UPDATE audit_records SET message = 'forged' WHERE id = '${recordId}'`,
          `DELETE FROM audit_records WHERE id = '${recordId}'`,
          'TRUNCATE audit_records',
        ]) {
          await runner.query('SAVEPOINT attempt');
          await expect(runner.query(sql)).rejects.toThrow(/append-only/);
          await runner.query('ROLLBACK TO SAVEPOINT attempt');
        }
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      const [row] = await t.db.query('SELECT message FROM audit_records WHERE id = $1', [recordId]);
      expect(row.message).toBeNull();
    });

    it('a record changed behind the triggers no longer matches its hash', async () => {
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query('GRANT UPDATE ON audit_records TO current_user');
        await runner.query(
          'ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update_delete',
        );
        await runner.query(`UPDATE audit_records SET message = 'forged' WHERE id = $1`, [recordId]);
        const [check] = await runner.query(
          'SELECT hash = audit_record_hash(r) AS intact FROM audit_records r WHERE id = $1',
          [recordId],
        );
        expect(check.intact).toBe(false);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });
  });
});
