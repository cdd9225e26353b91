import { logLines } from '../utils/http';
import { userBody } from '../factories/user';
import { ADMIN_SECRET, createTestApp, TestApp, uniqueId } from '../utils/test-app';

/** One line per request: who, from where, what came of it; at debug, the route and the database. */
describe('request log lines (LOG_LEVEL, TRUST_PROXY)', () => {
  const FORWARDED = '203.0.113.7';

  async function createUser(t: TestApp, headers: Record<string, string> = {}) {
    const token = await t.adminToken();
    const correlationId = uniqueId('log');
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      correlationId,
      headers,
      payload: userBody(uniqueId('u')),
    });
    expect(res.statusCode).toBe(201);
    const [line] = logLines(t.logs, { correlationId, msg: 'request completed' });
    return { line, token };
  }

  describe('at info, trusting no proxy (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('names the tenant, the client, the caller, the status and the duration', async () => {
      const { line, token } = await createUser(t, { 'x-forwarded-for': FORWARDED });
      expect(line).toMatchObject({
        tenant: t.tenant,
        clientId: `${t.tenant}-admin`,
        ip: '127.0.0.1',
        req: { method: 'POST', url: `/${t.tenant}/v2/Users` },
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
      });
      expect(line).not.toHaveProperty('error');
      expect(line).not.toHaveProperty('route');
      expect(line).not.toHaveProperty('db');
      expect(t.logs.join('\n')).not.toContain(token);
    });

    it('says why a request failed, with the client it claimed and never its secret', async () => {
      const secret = `wrong-${uniqueId('s')}`;
      const correlationId = uniqueId('bad');
      const res = await t.tokenRequest(
        { grant_type: 'client_credentials' },
        `${t.tenant}-admin`,
        secret,
        t.tenant,
        { 'x-correlation-id': correlationId },
      );
      expect(res.statusCode).toBe(401);
      const [line] = logLines(t.logs, { correlationId, msg: 'request completed' });
      expect(line).toMatchObject({
        tenant: t.tenant,
        clientId: `${t.tenant}-admin`,
        res: { statusCode: 401 },
        error: 'invalid_client',
      });
      const all = t.logs.join('\n');
      expect(all).not.toContain(secret);
      expect(all).not.toContain(ADMIN_SECRET);
    });

    it('names the SCIM error type of a refused SCIM request', async () => {
      const correlationId = uniqueId('filter');
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenant}/v2/Users?filter=${encodeURIComponent('userName zz "x"')}`,
        token: await t.adminToken(),
        correlationId,
      });
      expect(res.statusCode).toBe(400);
      const [line] = logLines(t.logs, { correlationId, msg: 'request completed' });
      expect(line).toMatchObject({ res: { statusCode: 400 }, error: 'invalidFilter' });
    });
  });

  describe('at debug, behind a trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOG_LEVEL: 'debug', TRUST_PROXY: '127.0.0.1' });
    });
    afterAll(() => t.close());

    it('takes the caller from X-Forwarded-For and adds the route and database timings', async () => {
      const { line } = await createUser(t, { 'x-forwarded-for': FORWARDED });
      expect(line).toMatchObject({
        ip: FORWARDED,
        route: '/:tenant/v2/Users',
        db: { statements: expect.any(Number), ms: expect.any(Number) },
      });
      const db = line.db as { statements: number; ms: number };
      expect(db.statements).toBeGreaterThan(0);
      expect(db.ms).toBeGreaterThan(0);
    });
  });
});
