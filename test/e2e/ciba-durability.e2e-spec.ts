import { ChallengeGateway } from '../../src/ciba/challenge-gateway';
import { DELIVER_CHALLENGE_QUEUE, deliveryJobId } from '../../src/ciba/ciba-queues';
import { createUserWithDevice } from '../factories/devices';
import { bcauthorize, eventually, recordOf } from '../utils/ciba';
import { recordsOfCoi } from '../utils/records';
import { createTestApp } from '../utils/test-app';

describe('CIBA background work is durable', () => {
  it('retries a failed challenge delivery and records each attempt', async () => {
    const t = await createTestApp();
    try {
      await createUserWithDevice(t, 'hank');
      const gateway = t.app.get(ChallengeGateway);
      const deliver = jest
        .spyOn(gateway, 'deliver')
        .mockRejectedValueOnce(new Error('push provider unavailable'));
      const res = await bcauthorize(
        t,
        { scope: 'openid', login_hint: 'hank' },
        { correlationId: 'deliver-retry' },
      );
      expect(res.statusCode).toBe(200);
      const id = res.json().auth_req_id;
      // The failed first attempt is on the trail when bcauthorize answers; the job retries.
      const [failed] = (await recordsOfCoi(t, id)).filter(
        (r) => r.action_name === 'indirectDeliverChallenge',
      );
      expect(failed).toMatchObject({ result: 'RESPONSE_FAILURE' });
      const delivered = await recordOf(t, id, 'indirectDeliverChallenge');
      expect(deliver).toHaveBeenCalledTimes(2);
      expect(deliver.mock.calls[1][0]).toMatchObject({ authReqId: id, userName: 'hank' });
      const attempts = (await recordsOfCoi(t, id)).filter(
        (r) => r.action_name === 'indirectDeliverChallenge',
      );
      expect(attempts.map((r) => [r.result, r.correlation_id])).toEqual([
        ['RESPONSE_FAILURE', 'deliver-retry'],
        ['RESPONSE_SUCCESS', 'deliver-retry'],
      ]);
      expect(attempts[0].action_parameters.attempt).toBe('1');
      expect(delivered.action_parameters.attempt).toBe('2');
    } finally {
      await t.close();
    }
  });

  it('drops the retry job of a challenge delivered before the answer', async () => {
    const t = await createTestApp();
    try {
      await createUserWithDevice(t, 'ida');
      const res = await bcauthorize(t, { scope: 'openid', login_hint: 'ida' });
      expect(res.statusCode).toBe(200);
      const id = res.json().auth_req_id;
      expect(await recordOf(t, id, 'indirectDeliverChallenge')).toMatchObject({
        result: 'RESPONSE_SUCCESS',
      });
      const jobs = (await t.db.query('SELECT state FROM pgboss.job WHERE name = $1 AND id = $2', [
        DELIVER_CHALLENGE_QUEUE,
        deliveryJobId(id),
      ])) as unknown[];
      expect(jobs).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('expires a request after a restart, with the ids of the call that started it', async () => {
    const first = await createTestApp();
    const tenant = first.tenant;
    let id: string;
    let requestId: string;
    try {
      await createUserWithDevice(first, 'ivy');
      const res = await bcauthorize(
        first,
        { scope: 'openid', login_hint: 'ivy', requested_expiry: '3' },
        { correlationId: 'survives-restart' },
      );
      expect(res.statusCode).toBe(200);
      id = res.json().auth_req_id;
      requestId = res.headers['x-request-id'] as string;
    } finally {
      await first.close();
    }
    const closedAt = Date.now();
    // The first instance is gone before the expiry was due; a new one picks the job up.
    const second = await createTestApp({ BOOTSTRAP_TENANTS: tenant });
    try {
      const expired = await eventually(async () => {
        const rows = await second.db.query(
          `SELECT * FROM audit_records WHERE tenant_id = $1 AND coi = $2
             AND action_name = 'expireCibaRequest'`,
          [tenant, id],
        );
        return rows[0];
      });
      expect(expired).toMatchObject({
        correlation_id: 'survives-restart',
        request_id: requestId,
        acting_user_id: `${tenant}-admin`,
        target_user_id: 'ivy',
      });
      expect(expired.created.getTime()).toBeGreaterThanOrEqual(closedAt - 50);
      const [row] = await second.db.query('SELECT status FROM ciba_requests WHERE id = $1', [id]);
      expect(row.status).toBe('expired');
    } finally {
      await second.close();
    }
  });
});
