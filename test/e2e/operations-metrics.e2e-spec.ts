import { createUser, user } from '../factories/user';
import { JobsService } from '../../src/jobs/jobs.service';
import { inContext, withFailingAuditInsert } from '../utils/service-context';
import { useTestApp } from '../utils/suite';

/**
 * The metrics operators alert on (docs/operations.md), read by scraping /metrics: audit
 * writes and their failures, pool saturation, job queues, log stream lag, and the sealing
 * lag registration point.
 */
jest.setTimeout(60_000);

describe('operations metrics', () => {
  const s = useTestApp({
    env: {
      METRICS_SAMPLE_INTERVAL_MS: '200',
      DB_POOL_SIZE: '6',
      LOG_STREAM_POLL_INTERVAL_MS: '100',
    },
  });

  async function scrape(): Promise<string> {
    const res = await s.t.request({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  }

  /** The value of one sample line (`name{labels}`), or undefined when absent. */
  function value(text: string, series: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  async function until(what: string, probe: (text: string) => boolean): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const text = await scrape();
      if (probe(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('counts audit records written by action and result, and failed writes', async () => {
    const ok = 'audit_records_written_total{action="createUser",result="RESPONSE_SUCCESS"}';
    const failed = 'audit_records_written_total{action="createUser",result="RESPONSE_FAILURE"}';
    const writeFailures = 'audit_record_write_failures_total{action="createUser"}';
    const before = await scrape();
    await createUser(s.t);
    const refused = await s.send({ method: 'POST', url: s.users, payload: { userName: 7 } });
    expect(refused.statusCode).toBe(400);
    await withFailingAuditInsert(s.t, 'metrics-broken-audit', async () => {
      const res = await s.send({
        method: 'POST',
        url: s.users,
        payload: user(),
        correlationId: 'metrics-broken-audit',
      });
      expect(res.statusCode).toBe(503);
    });
    const after = await scrape();
    expect(value(after, ok)! - (value(before, ok) ?? 0)).toBe(1);
    expect(value(after, failed)! - (value(before, failed) ?? 0)).toBe(1);
    // The change's record and then its failure record could not be written.
    expect(
      value(after, writeFailures)! - (value(before, writeFailures) ?? 0),
    ).toBeGreaterThanOrEqual(1);
  });

  it('shows pool saturation for the writes and the search connections', async () => {
    const text = await scrape();
    expect(value(text, 'db_pool_connections{pool="main",state="max"}')).toBe(6);
    expect(value(text, 'db_pool_connections{pool="search",state="max"}')).toBe(4);
    for (const pool of ['main', 'search']) {
      for (const state of ['open', 'in_use', 'waiting']) {
        expect(
          value(text, `db_pool_connections{pool="${pool}",state="${state}"}`),
        ).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('samples job queue depth and the age of the oldest waiting job', async () => {
    // A job due in the past that no worker serves: a queue declared only for this test.
    const jobs = s.t.app.get(JobsService);
    const queue = `metrics-probe-${Date.now()}`;
    await (jobs as any).boss.createQueue(queue);
    await inContext(s.t, () => jobs.enqueue(queue, { probe: true }));
    const text = await until(
      'the queue sample',
      (t) => (value(t, `jobs_queue_depth{queue="${queue}"}`) ?? 0) >= 1,
    );
    expect(value(text, `jobs_active{queue="${queue}"}`)).toBe(0);
    expect(value(text, `jobs_oldest_waiting_seconds{queue="${queue}"}`)).toBeGreaterThanOrEqual(0);
    await (jobs as any).boss.purgeQueue(queue);
  });

  it('samples each log stream lag in records and seconds, and whether it is paused', async () => {
    const created = await s.send({
      method: 'POST',
      url: `/${s.t.tenant}/v2/LogStreams`,
      payload: { url: 'https://127.0.0.1:9/never', filter: 'action.actionName eq "createUser"' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    await s.send({
      method: 'PATCH',
      url: `/${s.t.tenant}/v2/LogStreams/${id}`,
      payload: { status: 'paused' },
    });
    await createUser(s.t);
    await createUser(s.t);
    const labels = `{tenant="${s.t.tenant}",stream="${id}"}`;
    const text = await until(
      'the stream sample',
      (t) => value(t, `log_stream_lag_records${labels}`) === 2,
    );
    expect(value(text, `log_stream_lag_seconds${labels}`)).toBeGreaterThanOrEqual(0);
    expect(value(text, `log_stream_paused${labels}`)).toBe(1);
  });

  it('shows the sealing lag: unsealed records of every tenant and the age of the oldest', async () => {
    await createUser(s.t);
    const text = await until(
      'the sealing sample',
      (t) => value(t, 'audit_unsealed_records') !== undefined,
    );
    expect(value(text, 'audit_unsealed_records')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'audit_unsealed_oldest_seconds')).toBeGreaterThanOrEqual(0);
  });
});
