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
});
