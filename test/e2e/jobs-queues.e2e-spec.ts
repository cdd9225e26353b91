import { randomBytes } from 'node:crypto';
import { JobsService } from '../../src/jobs/jobs.service';
import { createTestApp, TestApp } from '../utils/test-app';

describe('job queues', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  // Nest runs the onModuleInit hooks of one module's providers concurrently, so queues are
  // routinely declared at the same moment; pg-boss's create_queue deadlocks when it races.
  it('declares several queues at once without deadlocking', async () => {
    const jobs = t.app.get(JobsService);
    const suffix = randomBytes(4).toString('hex');
    const names = Array.from({ length: 6 }, (_, i) => `race-${suffix}-${i}`);
    await expect(
      Promise.all(names.map((name) => jobs.register(name, {}, async () => undefined))),
    ).resolves.toHaveLength(6);
    const rows: { name: string }[] = await t.db.query(
      'SELECT name FROM pgboss.queue WHERE name = ANY($1)',
      [names],
    );
    expect(rows.map((r) => r.name).sort()).toEqual(names);
  });
});
