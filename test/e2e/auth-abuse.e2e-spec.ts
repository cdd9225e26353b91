import { createTestApp, TestApp, uniqueId, ADMIN_SECRET } from '../utils/test-app';
import { FORM, WRONG_SECRET } from '../utils/token-endpoint';
import { hashPassword } from '../../src/common/secrets';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * Abuse resistance (issue 13, part 5): failed client authentications throttled per claimed
 * client id and per caller address, X-Forwarded-For believed only through TRUST_PROXY, and
 * rate limits per client and per tenant, all 429 with Retry-After in the route's format.
 */
describe('failed client authentications (AUTH_FAILURE_MAX)', () => {
  let t: TestApp;
  const run = uniqueId('abuse');

  beforeAll(async () => {
    t = await createTestApp({
      AUTH_FAILURE_MAX: '3',
      AUTH_FAILURE_WINDOW_SECONDS: '60',
      AUTH_FAILURE_COALESCE_SECONDS: '1',
      // Answered at once, so sequential attempts stay inside one coalescing window; the
      // delay has its own test below.
      AUTH_FAILURE_DELAY_MS: '0',
    });
  });
  afterAll(() => t.close());

  const attempt = (
    clientId: string,
    secret: string,
    remoteAddress: string,
    headers: Record<string, string> = {},
    correlationId?: string,
  ) =>
    t.request({
      method: 'POST',
      url: `/${t.tenant}/authn/token`,
      remoteAddress,
      correlationId,
      headers: { authorization: basic(clientId, secret), 'content-type': FORM, ...headers },
      payload: 'grant_type=client_credentials',
    });

  it('throttles one claimed client id, whatever address the attempts come from', async () => {
    const victim = `${run}-victim`;
    const answers = [];
    for (let i = 1; i <= 4; i++) {
      answers.push(await attempt(victim, WRONG_SECRET, `10.1.0.${i}`, {}, `${run}-id-${i}`));
    }
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 429]);
    const refused = answers[3];
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['x-correlation-id']).toBe(`${run}-id-4`);
    expect(refused.json()).toMatchObject({ error: 'too_many_requests' });
    expect(refused.body).not.toContain(WRONG_SECRET);
    // Recorded like every refused token request, with the client id it claimed.
    const records = await t.recordsFor(`${run}-id-4`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      result: 'RESPONSE_FAILURE',
      acting_user_id: victim,
      return_value: { status: '429', error: 'too_many_requests' },
    });
    // Another client from a fresh address is not affected.
    expect((await attempt(`${t.tenant}-admin`, ADMIN_SECRET, '10.1.1.1')).statusCode).toBe(200);
  });

  it('records a flood of identical throttled attempts as one record with its count', async () => {
    const flood = `${run}-flood`;
    for (let i = 1; i <= 3; i++) await attempt(flood, WRONG_SECRET, '10.5.0.1');
    const ids = Array.from({ length: 6 }, (_, i) => `${run}-flood-${i}`);
    for (const id of ids) {
      expect((await attempt(flood, WRONG_SECRET, '10.5.0.1', {}, id)).statusCode).toBe(429);
    }
    // The first refusal is recorded at once; the five after it wait for the window's end.
    expect(await t.recordsFor(ids[0])).toHaveLength(1);
    expect(await t.recordsFor(ids[1])).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1500));
    for (const id of ids.slice(1, 5)) expect(await t.recordsFor(id)).toHaveLength(0);
    const [last] = await t.recordsFor(ids[5]);
    expect(last).toMatchObject({
      result: 'RESPONSE_FAILURE',
      acting_user_id: flood,
      return_value: { status: '429', error: 'too_many_requests' },
    });
    expect(last.message).toMatch(/^coalesced: this record stands for 5 identical failures/);
  });

  it('throttles one address, whatever client ids it claims, the right secret included', async () => {
    for (let i = 1; i <= 3; i++) {
      expect((await attempt(`${run}-any-${i}`, WRONG_SECRET, '10.2.0.1')).statusCode).toBe(401);
    }
    expect((await attempt(`${t.tenant}-admin`, ADMIN_SECRET, '10.2.0.1')).statusCode).toBe(429);
    expect((await attempt(`${t.tenant}-admin`, ADMIN_SECRET, '10.2.0.2')).statusCode).toBe(200);
  });

  it('answers a throttled client_secret_post attempt in the same form, recorded alike', async () => {
    const posted = `${run}-post`;
    const send = (correlationId?: string) =>
      t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/token`,
        remoteAddress: '10.6.0.1',
        correlationId,
        headers: { 'content-type': FORM },
        payload: `grant_type=client_credentials&client_id=${posted}&client_secret=${WRONG_SECRET}`,
      });
    for (let i = 1; i <= 3; i++) expect((await send()).statusCode).toBe(401);
    const refused = await send(`${run}-post-4`);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-correlation-id']).toBe(`${run}-post-4`);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({
      error: 'too_many_requests',
      correlationId: `${run}-post-4`,
    });
    const records = await t.recordsFor(`${run}-post-4`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ result: 'RESPONSE_FAILURE', acting_user_id: posted });
  });

  it('counts invalid bearer tokens per address: a flood is coalesced, valid tokens still work', async () => {
    const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
    const write = (token: string, correlationId?: string) =>
      t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users`,
        remoteAddress: '10.8.0.1',
        token,
        correlationId,
        payload: { schemas: [USER_SCHEMA], userName: `${run}-bearer-${correlationId ?? 'x'}` },
      });
    for (let i = 1; i <= 3; i++) expect((await write('not-a-token')).statusCode).toBe(401);
    const ids = [1, 2, 3].map((i) => `${run}-bearer-flood-${i}`);
    for (const id of ids) expect((await write('not-a-token', id)).statusCode).toBe(401);
    expect(await t.recordsFor(ids[0])).toHaveLength(1);
    expect(await t.recordsFor(ids[1])).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1500));
    const [last] = await t.recordsFor(ids[2]);
    expect(last.message).toMatch(/^coalesced: this record stands for 2 identical failures/);
    // A good token from the same address is served; the address is throttled at the token
    // endpoint like any address with that many failed authentications.
    expect((await write(await t.adminToken(), `${run}-bearer-good`)).statusCode).toBe(201);
    expect((await attempt(`${t.tenant}-admin`, ADMIN_SECRET, '10.8.0.1')).statusCode).toBe(429);
  });

  it('does not believe X-Forwarded-For without TRUST_PROXY', async () => {
    const answers = [];
    for (let i = 1; i <= 4; i++) {
      answers.push(
        await attempt(`${run}-xff-${i}`, WRONG_SECRET, '10.3.0.1', {
          'x-forwarded-for': `192.0.2.${i}`,
        }),
      );
    }
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 429]);
  });
});

describe('throttled attempts wait for their answer (AUTH_FAILURE_DELAY_MS)', () => {
  it('answers a throttled attempt after the delay, never before', async () => {
    const t = await createTestApp({ AUTH_FAILURE_MAX: '1', AUTH_FAILURE_DELAY_MS: '400' });
    try {
      const send = () =>
        t.request({
          method: 'POST',
          url: `/${t.tenant}/authn/token`,
          remoteAddress: '10.7.0.1',
          headers: { authorization: basic('slow', WRONG_SECRET), 'content-type': FORM },
          payload: 'grant_type=client_credentials',
        });
      expect((await send()).statusCode).toBe(401);
      const started = Date.now();
      expect((await send()).statusCode).toBe(429);
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    } finally {
      await t.close();
    }
  });
});

describe('X-Forwarded-For through a trusted proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  const run = uniqueId('xff');

  beforeAll(async () => {
    t = await createTestApp({ AUTH_FAILURE_MAX: '2', TRUST_PROXY: '10.4.0.1' });
  });
  afterAll(() => t.close());

  it('counts per forwarded address when the proxy is trusted', async () => {
    const send = (i: number, forwarded: string) =>
      t.request({
        method: 'POST',
        url: `/${t.tenant}/authn/token`,
        remoteAddress: '10.4.0.1',
        headers: {
          authorization: basic(`${run}-${i}`, WRONG_SECRET),
          'content-type': FORM,
          'x-forwarded-for': forwarded,
        },
        payload: 'grant_type=client_credentials',
      });
    const codes = [];
    for (let i = 1; i <= 3; i++) codes.push((await send(i, '198.51.100.7')).statusCode);
    expect(codes).toEqual([401, 401, 429]);
    expect((await send(4, '198.51.100.8')).statusCode).toBe(401);
  });
});

describe('rate limits per client and per tenant', () => {
  const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

  it('answers 429 in SCIM format past RATE_LIMIT_CLIENT_MAX and records the refused write', async () => {
    const t = await createTestApp({ RATE_LIMIT_CLIENT_MAX: '3' });
    try {
      const run = uniqueId('rlc');
      const token = await t.adminToken(); // the client's first request of the window
      const create = (i: number) =>
        t.request({
          method: 'POST',
          url: `/${t.tenant}/v2/Users`,
          token,
          correlationId: `${run}-${i}`,
          payload: { schemas: [USER_SCHEMA], userName: `${run}-${i}` },
        });
      const codes = [(await create(1)).statusCode, (await create(2)).statusCode];
      const refused = await create(3);
      expect([...codes, refused.statusCode]).toEqual([201, 201, 429]);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json()).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '429',
        detail: expect.stringMatching(/for one client/),
      });
      const records = await t.recordsFor(`${run}-3`);
      expect(records.map((r) => [r.action_name, r.result])).toEqual([
        ['createUser', 'RESPONSE_FAILURE'],
      ]);
      // Probes are not limited.
      expect((await t.request({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('answers 429 past RATE_LIMIT_TENANT_MAX', async () => {
    const t = await createTestApp({ RATE_LIMIT_TENANT_MAX: '3' });
    try {
      const token = await t.adminToken();
      const list = () => t.request({ method: 'GET', url: `/${t.tenant}/v2/Users`, token });
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await list()).statusCode);
      expect(codes).toEqual([200, 200, 429]);
      expect((await list()).json().detail).toMatch(/for one tenant/);
    } finally {
      await t.close();
    }
  });
});

describe('client secret digests', () => {
  it('replaces an older scrypt digest by SHA-256 at the next successful authentication', async () => {
    const t = await createTestApp();
    try {
      const clientId = `${t.tenant}-admin`;
      const digestOf = async () =>
        (
          (await t.db.query(
            'SELECT secret_digest FROM clients WHERE tenant_id = $1 AND client_id = $2',
            [t.tenant, clientId],
          )) as { secret_digest: string }[]
        )[0].secret_digest;
      expect(await digestOf()).toMatch(/^sha256:/);
      await t.db.query(
        'UPDATE clients SET secret_digest = $3 WHERE tenant_id = $1 AND client_id = $2',
        [t.tenant, clientId, await hashPassword(ADMIN_SECRET)],
      );
      expect(
        (await t.tokenRequest({ grant_type: 'client_credentials' }, clientId, WRONG_SECRET))
          .statusCode,
      ).toBe(401);
      expect(await digestOf()).toMatch(/^scrypt:/);
      const ok = await t.tokenRequest(
        { grant_type: 'client_credentials' },
        clientId,
        ADMIN_SECRET,
        t.tenant,
        {
          'x-correlation-id': 'rehash-1',
        },
      );
      expect(ok.statusCode).toBe(200);
      expect(await digestOf()).toMatch(/^sha256:[0-9a-f]{64}$/);
      const records = await t.recordsFor('rehash-1');
      expect(records.map((r) => [r.action_name, r.action_parameters.reason])).toContainEqual([
        'updateUPAuthenticator',
        'secret digest upgraded to SHA-256',
      ]);
      expect((await t.tokenRequest({ grant_type: 'client_credentials' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
