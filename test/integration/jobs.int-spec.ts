import { JobsService } from '../../src/jobs/jobs.service';
import { eventually } from '../utils/ciba';
import { inContext } from '../utils/service-context';
import { useTestApp } from '../utils/suite';
import { uniqueId } from '../utils/test-app';

/** The job runner against the database: what a worker does between jobs. */
describe('job queue workers', () => {
  const s = useTestApp({ adminToken: false });

  it('fetch a job at once when woken, without waiting for their next poll', async () => {
    const jobs = s.t.app.get(JobsService);
    const queue = uniqueId('wake');
    const ran: string[] = [];
    // Polled every minute: only wake() can get the job run within the test's time.
    await jobs.register<{ n: string }>(queue, { pollingIntervalSeconds: 60 }, async (p) => {
      ran.push(p.n);
    });
    // The worker's first fetch has found nothing by now; it pauses.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await inContext(s.t, () => jobs.enqueue(queue, { n: 'first' }));
    jobs.wake(queue);
    await eventually(async () => ran.length === 1, 10_000);
    expect(ran).toEqual(['first']);
  });
});
