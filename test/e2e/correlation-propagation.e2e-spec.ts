import { Logger } from '@nestjs/common';
import { BearerGuard } from '../../src/auth/bearer.guard';
import { RequestContextService } from '../../src/context/request-context.service';
import { JobsService } from '../../src/jobs/jobs.service';
import { UsersService } from '../../src/users/users.service';
import { userBody } from '../factories/user';
import { expectEchoed, logLines } from '../utils/http';
import { middlewareSaw, ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId } from '../utils/test-app';

describe('correlation (API.md §2)', () => {
  const s = useTestApp({ modules: [ProbeModule] });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));
  afterEach(() => jest.restoreAllMocks());

  describe('propagation (STYLE.md habit 11)', () => {
    it('one id reaches middleware, guard, service, audit record, error body, log line and job', async () => {
      const cid = uniqueId('prop');
      const context = t.app.get(RequestContextService);
      const jobs = t.app.get(JobsService);
      const seenBy: Record<string, { correlationId?: string; requestId?: string }[]> = {
        guard: [],
        service: [],
      };
      const snapshot = () => {
        const ctx = context.get();
        return { correlationId: ctx?.correlationId, requestId: ctx?.requestId };
      };

      const guard = t.app.get(BearerGuard);
      const canActivate = guard.canActivate.bind(guard);
      jest.spyOn(guard, 'canActivate').mockImplementation((execution) => {
        seenBy.guard.push(snapshot());
        return canActivate(execution);
      });

      const queue = `probe-propagation-${uniqueId()}`;
      let jobSaw: (value: { correlationId?: string; requestId?: string; actor?: string }) => void;
      const jobRan = new Promise<{ correlationId?: string; requestId?: string; actor?: string }>(
        (resolve) => (jobSaw = resolve),
      );
      await jobs.register<{ userName: string }>(
        queue,
        { pollingIntervalSeconds: 0.5 },
        async () => {
          new Logger('ProbeJob').log('probe job ran');
          jobSaw({ ...snapshot(), actor: context.get()?.actor?.id });
        },
      );

      const service = t.app.get(UsersService);
      const create = service.create.bind(service);
      let enqueued = false;
      jest.spyOn(service, 'create').mockImplementation(async (tenant, body) => {
        seenBy.service.push(snapshot());
        if (!enqueued) {
          enqueued = true;
          await jobs.enqueue(queue, { userName: 'prop' });
        }
        return create(tenant, body);
      });

      const userName = uniqueId('prop');
      const created = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(userName),
      });
      const refused = await send({
        method: 'POST',
        url: users,
        correlationId: cid,
        payload: userBody(userName),
      });
      expect(created.statusCode).toBe(201);
      expect(refused.statusCode).toBe(409);
      const requestIds = [created, refused].map((r) => r.headers['x-request-id'] as string);

      // Header echo on both.
      for (const res of [created, refused]) expectEchoed(res, cid);
      // Nest middleware (after the CLS middleware) saw it in the context.
      expect(requestIds.map((id) => middlewareSaw.get(id))).toEqual([cid, cid]);
      // The guard and the service saw it.
      const expected = requestIds.map((requestId) => ({ correlationId: cid, requestId }));
      expect(seenBy.guard).toEqual(expected);
      expect(seenBy.service).toEqual(expected);
      // Audit records: the change, then the failure, each with its request id.
      const records = await t.recordsFor(cid);
      expect(records.map((r) => [r.action_name, r.result, r.request_id])).toEqual([
        ['createUser', 'RESPONSE_SUCCESS', requestIds[0]],
        ['createUser', 'RESPONSE_FAILURE', requestIds[1]],
      ]);
      // Error body.
      expect(refused.json()).toMatchObject({ scimType: 'uniqueness', correlationId: cid });
      // Log lines of both requests: one completion line each, with the id and the status.
      for (const [i, requestId] of requestIds.entries()) {
        const lines = logLines(t.logs, { requestId, msg: 'request completed' });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
          correlationId: cid,
          res: { statusCode: [201, 409][i] },
        });
      }
      // The background job ran in the context of the request that enqueued it.
      const job = await jobRan;
      expect(job).toEqual({
        correlationId: cid,
        requestId: requestIds[0],
        actor: `${t.tenant}-admin`,
      });
      const jobLines = logLines(t.logs, { msg: 'probe job ran' });
      expect(jobLines.at(-1)).toMatchObject({ correlationId: cid, requestId: requestIds[0] });
    });

    it('50 concurrent requests with distinct ids do not cross-talk', async () => {
      const n = 50;
      const calls = Array.from({ length: n }, (_, i) => ({
        cid: uniqueId(`conc${i}`),
        userName: uniqueId(`conc${i}`),
      }));
      const responses = await Promise.all(
        calls.map(({ cid, userName }) =>
          send({ method: 'POST', url: users, correlationId: cid, payload: userBody(userName) }),
        ),
      );
      const records: any[] = await t.db.query(
        'SELECT * FROM audit_records WHERE tenant_id = $1 AND correlation_id = ANY($2::text[])',
        [t.tenant, calls.map((c) => c.cid)],
      );
      expect(records).toHaveLength(n);
      calls.forEach(({ cid, userName }, i) => {
        const res = responses[i];
        expect(res.statusCode).toBe(201);
        expect(res.headers['x-correlation-id']).toBe(cid);
        expect(res.json().userName).toBe(userName);
        const requestId = res.headers['x-request-id'] as string;
        const mine = records.filter((r) => r.correlation_id === cid);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ request_id: requestId, target_user_id: userName });
        expect(middlewareSaw.get(requestId)).toBe(cid);
        const lines = logLines(t.logs, { requestId, msg: 'request completed' });
        expect(lines.map((l) => l.correlationId)).toEqual([cid]);
      });
      expect(new Set(responses.map((r) => r.headers['x-request-id'])).size).toBe(n);
    });
  });
});
