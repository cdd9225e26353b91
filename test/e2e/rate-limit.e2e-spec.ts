import { createTestApp, TestApp, uniqueId } from '../utils/test-app';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_SECONDS (off by default). API.md §2: a 429 echoes the
 * correlation id like every other response; §5: a refused write is a recorded failure.
 */
describe('rate limiting (RATE_LIMIT_MAX)', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('rl');
  const MAX = 4;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_SECONDS: '60' });
    token = await t.adminToken(); // request 1 of the window
  });
  afterAll(() => t.close());

  const createUser = (i: number) =>
    t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      correlationId: `${run}-${i}`,
      payload: { schemas: [USER_SCHEMA], userName: `${run}-user-${i}` },
    });

  it('answers 429 past the limit, in SCIM format, with the echo and rate headers', async () => {
    const answers = [];
    for (let i = 0; i < MAX; i++) answers.push(await createUser(i));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 429]);
    const ok = answers[0];
    expect(ok.headers['x-ratelimit-limit']).toBe(String(MAX));
    const refused = answers[MAX - 1];
    expect(refused.headers['x-correlation-id']).toBe(`${run}-${MAX - 1}`);
    expect(refused.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(refused.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '429',
      correlationId: `${run}-${MAX - 1}`,
    });
  });

  it('records the refused write once, as a failure of its action, and changes nothing', async () => {
    const records = await t.recordsFor(`${run}-${MAX - 1}`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action_name: 'createUser',
      result: 'RESPONSE_FAILURE',
      return_value: { status: '429', error: 'too_many_requests' },
    });
    const users = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users?filter=${encodeURIComponent(`userName eq "${run}-user-${MAX - 1}"`)}`,
      token,
    });
    // The read itself is over the limit too; the user must not exist either way.
    expect(users.statusCode).toBe(429);
    const rows: unknown[] = await t.db.query(
      'SELECT 1 FROM users WHERE tenant_id = $1 AND user_name = $2',
      [t.tenant, `${run}-user-${MAX - 1}`],
    );
    expect(rows).toHaveLength(0);
  });

  it('answers the token endpoint in OAuth format', async () => {
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/authn/token`,
      correlationId: `${run}-token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['x-correlation-id']).toBe(`${run}-token`);
    expect(res.json()).toMatchObject({ error: 'too_many_requests' });
  });

  it('never limits the health probes and metrics', async () => {
    for (const url of ['/health/live', '/health/ready', '/metrics']) {
      expect((await t.request({ method: 'GET', url })).statusCode).toBe(200);
    }
  });
});
