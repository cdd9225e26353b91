import { IMPORT_KINDS } from '../../src/bulk-import/import-kinds';
import { ImportWorker } from '../../src/bulk-import/import-worker.service';
import { ImportsService } from '../../src/bulk-import/imports.service';
import { userBody } from '../factories/user';
import { eventually } from '../utils/ciba';
import { IMPORT_TEST_ENV } from '../utils/imports';
import { recordsOfCoi } from '../utils/records';
import { inContext } from '../utils/service-context';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId } from '../utils/test-app';

/** The import's batch rules, driven through its services rather than HTTP. */
describe('bulk import batches against the database', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV, adminToken: false });
  let t: TestApp;
  beforeAll(() => (t = s.t));

  const jobStatus = async (coi: string) =>
    ((await t.db.query('SELECT status FROM import_jobs WHERE id = $1', [coi])) as any[])[0]
      ?.status as string | undefined;
  const usersNamed = async (prefix: string) =>
    (
      (await t.db.query(
        'SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND user_name LIKE $2',
        [t.tenant, `${prefix}%`],
      )) as { n: number }[]
    )[0].n;

  /** Accepts an import of `size` users inside a request-like context and waits for its end. */
  async function importAndFinish(prefix: string, size: number): Promise<string> {
    const body = { users: Array.from({ length: size }, (_, i) => userBody(`${prefix}-${i}`)) };
    const coi = await inContext(
      t,
      () => t.app.get(ImportsService).accept(IMPORT_KINDS.users, t.tenant, body),
      {
        correlationId: prefix,
      },
    );
    await eventually(async () => (await jobStatus(coi)) === 'completed', 30_000);
    return coi;
  }

  it('a job delivered again after its import completed creates and records nothing more', async () => {
    const prefix = uniqueId('redeliver');
    const coi = await importAndFinish(prefix, 7);
    expect(await usersNamed(prefix)).toBe(7);
    const before = await recordsOfCoi(t, coi);
    // pg-boss delivers at least once: the same job may run again, on any instance.
    await inContext(t, () => t.app.get(ImportWorker).run(coi, 0), { correlationId: prefix, coi });
    await inContext(t, () => t.app.get(ImportWorker).run(coi, 3), { correlationId: prefix, coi });
    expect(await usersNamed(prefix)).toBe(7);
    expect((await recordsOfCoi(t, coi)).map((r) => r.id)).toEqual(before.map((r) => r.id));
  });

  it('records the start, one createUser per item and the end under one COI and correlation id', async () => {
    const prefix = uniqueId('story');
    const coi = await importAndFinish(prefix, 5);
    const records = await recordsOfCoi(t, coi);
    const steps = records.filter((r) => r.action_name === 'importUsers');
    expect(steps.map((r) => r.action_parameters.step)).toEqual(['start', 'end']);
    expect(records.filter((r) => r.action_name === 'createUser')).toHaveLength(5);
    expect(new Set(records.map((r) => r.correlation_id))).toEqual(new Set([prefix]));
  });

  /** Each createUser record of the import in the trail's order, with its hash checked. */
  const createRecords = async (coi: string) =>
    (await t.db.query(
      `SELECT r.result, r.target_user_id, r.target_user_immutable_id, r.changes, r.mac,
         r.hash = audit_record_hash(r) AS intact
       FROM audit_records r WHERE r.tenant_id = $1 AND r.coi = $2 AND r.action_name = 'createUser'
       ORDER BY r.id`,
      [t.tenant, coi],
    )) as any[];

  it('writes each created user with its record, hashed and MAC-signed, and records a conflict as a failure', async () => {
    const prefix = uniqueId('fused');
    await importAndFinish(`${prefix}-a`, 1);
    // The second import's first user takes the name the first import created.
    const body = {
      users: [userBody(`${prefix}-a-0`), userBody(`${prefix}-b-1`), userBody(`${prefix}-b-2`)],
    };
    const coi = await inContext(
      t,
      () => t.app.get(ImportsService).accept(IMPORT_KINDS.users, t.tenant, body),
      { correlationId: prefix },
    );
    await eventually(async () => (await jobStatus(coi)) === 'completed', 30_000);
    const records = await createRecords(coi);
    expect(records.map((r) => [r.target_user_id, r.result])).toEqual([
      [`${prefix}-a-0`, 'RESPONSE_FAILURE'],
      [`${prefix}-b-1`, 'RESPONSE_SUCCESS'],
      [`${prefix}-b-2`, 'RESPONSE_SUCCESS'],
    ]);
    expect(records.every((r) => r.intact && r.mac)).toBe(true);
    const users = (await t.db.query(
      'SELECT id, user_name FROM users WHERE tenant_id = $1 AND user_name LIKE $2 ORDER BY user_name',
      [t.tenant, `${prefix}-b-%`],
    )) as { id: string; user_name: string }[];
    expect(records.slice(1).map((r) => r.target_user_immutable_id)).toEqual(users.map((u) => u.id));
    expect(records[1].changes).toEqual(
      expect.arrayContaining([{ op: 'add', attribute: 'userName', after: `${prefix}-b-1` }]),
    );
  });

  it('records a batch in item order, an item that cannot be read failing in its place', async () => {
    const prefix = uniqueId('order');
    const body = {
      users: [
        userBody(`${prefix}-0`, { name: { familyName: 'Zero' } }),
        { active: true },
        userBody(`${prefix}-2`, { name: { familyName: 'Two' } }),
      ],
    };
    const coi = await inContext(
      t,
      () => t.app.get(ImportsService).accept(IMPORT_KINDS.users, t.tenant, body),
      { correlationId: prefix },
    );
    await eventually(async () => (await jobStatus(coi)) === 'completed', 30_000);
    const records = (await t.db.query(
      `SELECT r.result, r.target_user_id, r.action_parameters, r.hash = audit_record_hash(r) AS intact,
         r.return_value IS NULL AS no_return_value, r.changes IS NULL AS no_changes
       FROM audit_records r WHERE r.tenant_id = $1 AND r.coi = $2 AND r.action_name = 'createUser'
       ORDER BY r.id`,
      [t.tenant, coi],
    )) as any[];
    expect(records.map((r) => [r.result, r.target_user_id, r.action_parameters.index])).toEqual([
      ['RESPONSE_SUCCESS', `${prefix}-0`, undefined],
      ['RESPONSE_FAILURE', null, '1'],
      ['RESPONSE_SUCCESS', `${prefix}-2`, undefined],
    ]);
    expect(records.every((r) => r.intact)).toBe(true);
    // The jsonb columns travel as JSON arrays: an unset one is SQL NULL, not a JSON null.
    expect(records.map((r) => [r.no_return_value, r.no_changes])).toEqual([
      [true, false],
      [false, true],
      [true, false],
    ]);
    const resources = (await t.db.query(
      `SELECT resource->'name'->>'familyName' AS family FROM users
       WHERE tenant_id = $1 AND user_name LIKE $2 ORDER BY user_name`,
      [t.tenant, `${prefix}-%`],
    )) as { family: string | null }[];
    expect(resources.map((r) => r.family)).toEqual(['Zero', 'Two']);
  });

  it('when the database refuses a user, creates and records the others and fails that one alone', async () => {
    const prefix = uniqueId('refused');
    const refusedName = `${prefix}-1`;
    // A constraint that refuses this one name only, so no other test's users are touched.
    const constraint = `refuse_${prefix.replace(/[^a-z0-9]/gi, '_')}`.slice(0, 60);
    await t.db.query(
      `ALTER TABLE users ADD CONSTRAINT ${constraint} CHECK (user_name <> '${refusedName}') NOT VALID`,
    );
    try {
      const coi = await importAndFinish(prefix, 3);
      const records = await createRecords(coi);
      expect(records.map((r) => [r.target_user_id, r.result])).toEqual([
        [`${prefix}-0`, 'RESPONSE_SUCCESS'],
        [refusedName, 'RESPONSE_FAILURE'],
        [`${prefix}-2`, 'RESPONSE_SUCCESS'],
      ]);
      expect(records.every((r) => r.intact && r.mac)).toBe(true);
      expect(await usersNamed(prefix)).toBe(2);
      const errors = (await t.db.query(
        'SELECT item_index, detail FROM import_errors WHERE job_id = $1',
        [coi],
      )) as { item_index: number; detail: string }[];
      expect(errors).toEqual([{ item_index: 1, detail: expect.stringContaining('refused') }]);
    } finally {
      await t.db.query(`ALTER TABLE users DROP CONSTRAINT ${constraint}`);
    }
  });
});
