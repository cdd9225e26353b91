import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { TransactionHost } from '@nestjs-cls/transactional';
import { RequestContextService } from '../../src/context/request-context.service';
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

  it('tells a handler how many times its job was retried', async () => {
    const jobs = t.app.get(JobsService);
    const queue = `retries-${randomBytes(4).toString('hex')}`;
    const seen: number[] = [];
    await jobs.register<{ n: number }>(
      queue,
      { retryLimit: 2, retryDelay: 1, retryBackoff: false },
      async (_p, { retryCount }) => {
        seen.push(retryCount);
        if (retryCount === 0) throw new Error('first attempt fails');
      },
    );
    await t.app
      .get(RequestContextService)
      .run({ requestId: uuidv7(), tenant: t.tenant }, () => jobs.enqueue(queue, { n: 1 }));
    const deadline = Date.now() + 15_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([0, 1]);
  });

  it('handles each job of a batch on its own: one failure retries only that job', async () => {
    const jobs = t.app.get(JobsService);
    const queue = `batch-${randomBytes(4).toString('hex')}`;
    const calls = new Map<number, number>();
    await jobs.register<{ n: number }>(
      queue,
      { batchSize: 5, retryLimit: 2, retryDelay: 1, retryBackoff: false },
      async ({ n }) => {
        calls.set(n, (calls.get(n) ?? 0) + 1);
        if (n === 2 && calls.get(n) === 1) throw new Error('job 2 fails once');
      },
    );
    // Enqueued in one transaction, so the worker finds all five in one batch.
    await t.app.get(RequestContextService).run({ requestId: uuidv7(), tenant: t.tenant }, () =>
      t.app.get(TransactionHost).withTransaction(async () => {
        for (let n = 0; n < 5; n++) await jobs.enqueue(queue, { n });
      }),
    );
    const deadline = Date.now() + 15_000;
    while ((calls.get(2) ?? 0) < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect([...calls.entries()].sort()).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 1],
    ]);
  });
});
