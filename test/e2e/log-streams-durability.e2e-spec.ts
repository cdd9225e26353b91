import { Client } from 'pg';
import { userBody } from '../factories/user';
import { ServiceInstance } from '../utils/service-instance';
import { uniqueTenant } from '../utils/test-app';
import { TEST_DB_ENV, TEST_DB_OWNER_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';
import { StreamReceiver, verifySignature } from '../utils/stream-receiver';

/**
 * A log stream across `kill -9` of the service (its own process): the instance dies while
 * the receiver holds a batch, a new process takes over after the lease runs out, and the
 * receiver ends up with every record, in order, the only duplicate being that one batch.
 */
const ENV = {
  PUBLIC_BASE_URL: 'http://mgmt.test',
  LOG_STREAM_POLL_INTERVAL_MS: '100',
  LOG_STREAM_TIMEOUT_MS: '1000',
  LOG_STREAM_RETRY_BASE_MS: '100',
};
const BATCH = 3;
const USERS = 30;

jest.setTimeout(240_000);

describe('log stream durability', () => {
  const url = process.env[TEST_DB_ENV]!;
  const ownerUrl = process.env[TEST_DB_OWNER_ENV]!;
  let db: Client;
  let receiver: StreamReceiver;
  const services: ServiceInstance[] = [];

  beforeAll(async () => {
    // Reads what the test checks as a superuser (row-level security does not filter it).
    db = new Client({ connectionString: process.env[TEST_DB_SUPERUSER_ENV]! });
    await db.connect();
    receiver = await StreamReceiver.start();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill9()));
    await receiver.close();
    await db.end();
  });

  async function start(tenant: string): Promise<ServiceInstance> {
    const service = await ServiceInstance.start({ url, ownerUrl }, tenant, ENV);
    services.push(service);
    return service;
  }

  it('loses nothing and keeps the order when the service is killed mid-stream', async () => {
    const tenant = uniqueTenant();
    const first = await start(tenant);
    const token = await first.token();
    const created = await first.request('POST', `/${tenant}/v2/LogStreams`, {
      token,
      body: {
        url: receiver.url('/durable'),
        filter: 'action.actionName eq "createUser"',
        batchSize: BATCH,
      },
    });
    expect(created.status).toBe(201);
    const secret: string = created.json.secret;

    // Records wait behind a paused stream, so batches are full once it resumes.
    const streamPath = `/${tenant}/v2/LogStreams/${created.json.id}`;
    const pause = (status: string) =>
      first.request('PATCH', streamPath, { token, body: { status } });
    expect((await pause('paused')).status).toBe(200);
    for (let i = 0; i < USERS; i++) {
      const res = await first.request('POST', `/${tenant}/v2/Users`, {
        token,
        body: userBody(`stream-${i}`),
      });
      expect(res.status).toBe(201);
    }

    // A slow receiver; the batch that brings it to three batches' worth is in its hands when
    // the service dies. A batch may be short: the stream stops at the commit horizon, which
    // another test's open transaction on the shared database can hold back mid-way.
    let killed: Promise<void> | undefined;
    let inHand = 0;
    receiver.beforeAnswer = async (delivery) => {
      if (receiver.records('/durable').length >= 3 * BATCH && !killed) {
        inHand = delivery.records.length;
        killed = first.kill9();
        await killed;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    };
    expect((await pause('active')).status).toBe(200);
    await receiver.until('the kill', () => killed !== undefined, 60_000);
    await killed;
    expect(receiver.records('/durable').length).toBeGreaterThanOrEqual(3 * BATCH);
    expect(inHand).toBeGreaterThan(0);

    const second = await start(tenant);
    const secondToken = await second.token();
    const expected = (
      await db.query(
        // The admin's service account was created before the stream, which starts after it.
        `SELECT id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createUser'
           AND target_user_id LIKE 'stream-%' ORDER BY created, id`,
        [tenant],
      )
    ).rows.map((r) => r.id as string);
    expect(expected).toHaveLength(USERS);
    // More records after the restart join the same stream.
    const late = await second.request('POST', `/${tenant}/v2/Users`, {
      token: secondToken,
      body: userBody('stream-late'),
    });
    expect(late.status).toBe(201);
    const lateId = (
      await db.query(
        `SELECT id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createUser'
           AND target_user_id = 'stream-late'`,
        [tenant],
      )
    ).rows[0].id as string;
    expected.push(lateId);

    await receiver.until(
      'every record',
      () => receiver.records('/durable').some((r) => r.id === lateId),
      120_000,
    );
    const delivered = receiver.records('/durable').map((r) => r.id as string);

    // Nothing missing, nothing foreign.
    expect([...new Set(delivered)]).toEqual(expected);
    // In order, except for one rewind: the batch whose answer the killed process never saw.
    const positions = delivered.map((id) => expected.indexOf(id));
    const rewinds = positions.flatMap((p, i) => (i > 0 && p <= positions[i - 1] ? [i] : []));
    expect(rewinds).toHaveLength(1);
    for (const i of rewinds) {
      expect(positions[i - 1] - positions[i]).toBeLessThan(BATCH);
    }
    // The only duplicates: the batch the receiver held when the service died.
    expect(delivered.length - expected.length).toBe(inHand);
    for (const d of receiver.deliveries.filter((x) => x.path === '/durable')) {
      expect(verifySignature(secret, d.headers['x-signature'] as string, d.body)).toBe(true);
    }

    // The checkpoint moves once the receiver's answer is in.
    const deadline = Date.now() + 10_000;
    let status: any;
    do {
      await new Promise((r) => setTimeout(r, 100));
      status = (await second.request('GET', streamPath, { token: secondToken })).json;
    } while (status.state.checkpoint.id !== lateId && Date.now() < deadline);
    expect(status).toMatchObject({
      status: 'active',
      state: { lagRecords: 0, checkpoint: { id: lateId }, delivered: USERS + 1 },
    });
  });
});
