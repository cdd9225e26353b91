import { createUser } from '../factories/user';
import { expectScimError } from '../utils/scim';
import { StreamReceiver, verifySignature } from '../utils/stream-receiver';
import { useTestApp } from '../utils/suite';

/**
 * Log streams (docs/log-streams.md) against a receiver on loopback: the CRUD contract and
 * its records, signed ordered delivery, filters, retries with back-off, the automatic
 * pause and the resume.
 */
const ENV = {
  LOG_STREAM_POLL_INTERVAL_MS: '100',
  LOG_STREAM_RETRY_BASE_MS: '100',
  LOG_STREAM_RETRY_MAX_MS: '400',
  LOG_STREAM_PAUSE_AFTER_FAILURES: '4',
  LOG_STREAM_TIMEOUT_MS: '2000',
};

jest.setTimeout(60_000);

describe('log streams', () => {
  const s = useTestApp({ env: ENV });
  let receiver: StreamReceiver;
  const streams = () => `/${s.t.tenant}/v2/LogStreams`;

  beforeAll(async () => {
    receiver = await StreamReceiver.start();
  });
  afterAll(() => receiver.close());

  async function createStream(body: Record<string, unknown>) {
    const res = await s.send({ method: 'POST', url: streams(), payload: body });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  async function readStream(id: string) {
    const res = await s.send({ method: 'GET', url: `${streams()}/${id}` });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  /** The stream once `done` holds for it (its bookkeeping commits after the receiver's answer). */
  async function streamWhen(id: string, done: (stream: any) => boolean) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stream = await readStream(id);
      if (done(stream) || Date.now() > deadline) return stream;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function recordsOf(action: string, streamId: string): Promise<any[]> {
    return s.t.db.query(
      `SELECT * FROM audit_records WHERE tenant_id = $1 AND action_name = $2
         AND action_parameters->>'streamId' = $3 ORDER BY created, id`,
      [s.t.tenant, action, streamId],
    );
  }

  describe('resource', () => {
    it('creates a stream, shows the secret once, and records the creation without it', async () => {
      const res = await s.send({
        method: 'POST',
        url: streams(),
        payload: { url: receiver.url('/crud?token=abc'), name: 'siem', batchSize: 10 },
        correlationId: 'stream-create-1',
      });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created).toMatchObject({
        schemas: ['urn:hid:scim:api:idp:2.0:LogStream'],
        name: 'siem',
        url: receiver.url('/crud?token=abc'),
        batchSize: 10,
        status: 'active',
        state: { delivered: 0, failures: 0 },
        meta: { resourceType: 'LogStream' },
      });
      expect(created.secret).toMatch(/^lss_/);
      expect(res.headers.location).toBe(created.meta.location);

      const read = await readStream(created.id);
      expect(read.secret).toBeUndefined();
      const list = await s.send({ method: 'GET', url: streams() });
      expect(list.json().Resources.map((r: any) => r.id)).toContain(created.id);
      expect(list.body).not.toContain(created.secret);

      const [record] = await recordsOf('createLogStream', created.id);
      expect(record).toMatchObject({
        correlation_id: 'stream-create-1',
        result: 'RESPONSE_SUCCESS',
      });
      expect(record.action_parameters.endpoint).toBe(receiver.url('/crud'));
      const all = await s.t.db.query('SELECT action_parameters::text AS p FROM audit_records');
      expect(all.some((r: any) => r.p.includes(created.secret))).toBe(false);
      expect(s.t.logs.join('\n')).not.toContain(created.secret);

      const patched = await s.send({
        method: 'PATCH',
        url: `${streams()}/${created.id}`,
        payload: { name: 'siem 2', filter: 'result eq "RESPONSE_FAILURE"' },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        name: 'siem 2',
        filter: 'result eq "RESPONSE_FAILURE"',
      });
      const [update] = await recordsOf('updateLogStream', created.id);
      expect(update.action_parameters.changed).toBe('name filter');

      const deleted = await s.send({ method: 'DELETE', url: `${streams()}/${created.id}` });
      expect(deleted.statusCode).toBe(204);
      expect(await recordsOf('deleteLogStream', created.id)).toHaveLength(1);
      const gone = await s.send({ method: 'GET', url: `${streams()}/${created.id}` });
      expectScimError(gone, 404);
    });

    it('refuses bad input with SCIM errors, and writes without streams:write', async () => {
      const bad = async (payload: unknown, scimType: string) => {
        const res = await s.send({ method: 'POST', url: streams(), payload });
        expectScimError(res, 400, scimType);
      };
      await bad({ url: 'http://example.com/hook' }, 'invalidValue');
      await bad({ url: 'ftp://127.0.0.1/x' }, 'invalidValue');
      await bad({ url: 'https://user:pw@example.com/' }, 'invalidValue');
      await bad({ url: 'not a url' }, 'invalidValue');
      await bad({}, 'invalidValue');
      await bad({ url: 'https://example.com/', batchSize: 0 }, 'invalidValue');
      await bad({ url: 'https://example.com/', status: 'paused' }, 'invalidValue');
      await bad({ url: 'https://example.com/', colour: 'red' }, 'invalidValue');
      await bad({ url: 'https://example.com/', filter: 'nope eq 1' }, 'invalidFilter');
      await bad({ url: 'https://example.com/', filter: 'action.actionName eq' }, 'invalidFilter');
      await bad([], 'invalidValue');

      const reader = await s.t.adminToken(s.t.tenant, 'audit:read');
      const refused = await s.t.request({
        method: 'POST',
        url: streams(),
        token: reader,
        payload: { url: 'https://example.com/' },
      });
      expect(refused.statusCode).toBe(403);
      const listed = await s.t.request({ method: 'GET', url: streams(), token: reader });
      expect(listed.statusCode).toBe(200);
      const unknown = await s.send({
        method: 'PATCH',
        url: `${streams()}/not-a-uuid`,
        payload: { name: 'x' },
      });
      expectScimError(unknown, 404);
    });
  });

  describe('delivery', () => {
    it('delivers matching records in order, signed, once the receiver takes them', async () => {
      const stream = await createStream({
        url: receiver.url('/users'),
        filter: 'action.actionName eq "createUser"',
        batchSize: 2,
      });
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push((await createUser(s.t)).userName as string);
      await receiver.until('five users', () => receiver.records('/users').length >= 5);

      const records = receiver.records('/users');
      expect(records.map((r) => r.targetUserId.id)).toEqual(names);
      expect(records.every((r) => r.action.actionName === 'createUser')).toBe(true);
      for (const d of receiver.deliveries.filter((d) => d.path === '/users')) {
        expect(d.records.length).toBeLessThanOrEqual(2);
        expect(d.headers['x-log-stream-id']).toBe(stream.id);
        expect(verifySignature(stream.secret, d.headers['x-signature'] as string, d.body)).toBe(
          true,
        );
        expect(verifySignature('wrong', d.headers['x-signature'] as string, d.body)).toBe(false);
      }
      // Records are exactly what a read of the trail returns.
      const one = await s.send({
        method: 'GET',
        url: `/${s.t.tenant}/v2/AuditRecords/${records[0].id}`,
      });
      expect(one.json()).toEqual(records[0]);

      const status = await streamWhen(stream.id, (x) => x.state.delivered === 5);
      expect(status.state).toMatchObject({ delivered: 5, lagRecords: 0, failures: 0 });
      expect(status.state.checkpoint.id).toBe(records[4].id);
      expect(status.state.lastDeliveryAt).toBeDefined();
    });

    it('retries after receiver errors with back-off, keeping the order and missing nothing', async () => {
      let failuresLeft = 3;
      receiver.answer = (path) => (path === '/flaky' && failuresLeft-- > 0 ? 503 : undefined);
      const stream = await createStream({
        url: receiver.url('/flaky'),
        filter: 'action.actionName eq "createUser"',
        batchSize: 3,
      });
      const names: string[] = [];
      for (let i = 0; i < 7; i++) names.push((await createUser(s.t)).userName as string);
      await receiver.until('seven users', () => receiver.records('/flaky').length >= 7);
      expect(receiver.records('/flaky').map((r) => r.targetUserId.id)).toEqual(names);
      const status = await streamWhen(stream.id, (x) => x.state.delivered === 7);
      expect(status.status).toBe('active');
      expect(status.state).toMatchObject({ failures: 0, lagRecords: 0, delivered: 7 });
      expect(status.state.lastError).toBe('The receiver answered HTTP 503');
      receiver.answer = () => undefined;
    });

    it('pauses after sustained failure, records it, and resumes from its checkpoint', async () => {
      let down = true;
      receiver.answer = (path) => (path === '/down' && down ? 500 : undefined);
      const stream = await createStream({
        url: receiver.url('/down'),
        filter: 'action.actionName eq "createUser"',
      });
      const first = await createUser(s.t);
      const status = await streamWhen(stream.id, (x) => x.status === 'paused');
      expect(status).toMatchObject({
        status: 'paused',
        state: { pausedReason: 'failures', failures: 4, lagRecords: 1 },
      });
      expect(status.state.lagSeconds).toBeGreaterThanOrEqual(0);
      const [pause] = await recordsOf('pauseLogStream', stream.id);
      expect(pause.action_parameters).toMatchObject({ reason: 'failures', failures: '4' });
      expect(pause.message).toBe('The receiver answered HTTP 500');
      expect(pause.acting_user_id).toBe('system:log-streams');

      const second = await createUser(s.t);
      down = false;
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.records('/down')).toHaveLength(0);

      const resumed = await s.send({
        method: 'PATCH',
        url: `${streams()}/${stream.id}`,
        payload: { status: 'active' },
      });
      expect(resumed.statusCode).toBe(200);
      expect(resumed.json()).toMatchObject({ status: 'active', state: { failures: 0 } });
      expect(await recordsOf('resumeLogStream', stream.id)).toHaveLength(1);
      await receiver.until('both users', () => receiver.records('/down').length >= 2);
      expect(receiver.records('/down').map((r) => r.targetUserId.id)).toEqual([
        first.userName,
        second.userName,
      ]);

      const paused = await s.send({
        method: 'PATCH',
        url: `${streams()}/${stream.id}`,
        payload: { status: 'paused' },
      });
      expect(paused.json()).toMatchObject({
        status: 'paused',
        state: { pausedReason: 'requested' },
      });
      const [requested] = await recordsOf('pauseLogStream', stream.id).then((r) => r.slice(1));
      expect(requested.action_parameters.reason).toBe('requested');
    });
  });
});
