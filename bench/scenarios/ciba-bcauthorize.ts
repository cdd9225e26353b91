import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BENCH_TENANT, Scenario } from '../lib/context';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GRANT_CIBA = 'urn:openid:params:grant-type:ciba';

/**
 * POST /{tenant}/authn/bcauthorize in poll mode: client authentication, user and device
 * lookup, the request row, its createCibaRequest record and two durable jobs (delivery,
 * expiry) in one transaction. The delivery jobs run meanwhile on the same service and
 * database, as they would in production.
 */
export const scenario: Scenario = {
  name: 'ciba-bcauthorize',
  description: 'POST /{tenant}/authn/bcauthorize (request row + audit row + 2 jobs per request)',
  async run(ctx) {
    const token = await ctx.adminToken();
    const userName = `ciba-bench-${Date.now().toString(36)}`;
    const created = await fetch(`${ctx.serviceUrl}/${BENCH_TENANT}/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName }),
    });
    if (!created.ok) throw new Error(`user: ${created.status} ${await created.text()}`);
    const { id: userId } = (await created.json()) as { id: string };
    await ctx.pool.query(
      `INSERT INTO devices (id, tenant_id, serial_number, type, status, owner_id)
       VALUES ($1, $2, $3, 'DT_TDSV4', 'ACTIVE', $4)`,
      [randomUUID(), BENCH_TENANT, `DSN-${userName}`, userId],
    );
    // A client with a server-made secret (SHA-256 digest), as registration creates them: the
    // bootstrap admin's operator-chosen secret is scrypt-hashed and would dominate the run.
    const clientId = `ciba-bench-client-${randomBytes(4).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    await ctx.pool.query(
      `INSERT INTO clients (id, tenant_id, client_id, secret_digest, grant_types, scopes, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        randomUUID(),
        BENCH_TENANT,
        clientId,
        `sha256:${createHash('sha256').update(secret).digest('hex')}`,
        [GRANT_CIBA],
        ['openid'],
        JSON.stringify({ backchannel_token_delivery_mode: 'poll' }),
      ],
    );

    const result = await ctx.measure({
      url: ctx.serviceUrl,
      path: `/${BENCH_TENANT}/authn/bcauthorize`,
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: () => new URLSearchParams({ scope: 'openid', login_hint: userName }).toString(),
    });
    const counts = async () =>
      (
        await ctx.pool.query<{ delivered: number; total: number }>(
          `SELECT count(delivered_at)::int AS delivered, count(*)::int AS total
           FROM ciba_requests WHERE tenant_id = $1 AND client_id = $2`,
          [BENCH_TENANT, clientId],
        )
      ).rows[0];
    const atEnd = await counts();
    // The delivery backlog left by the load drains once the requests stop.
    const ended = Date.now();
    let drained = atEnd;
    while (drained.delivered < drained.total && Date.now() - ended < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      drained = await counts();
    }
    const drainSeconds = ((Date.now() - ended) / 1000).toFixed(1);
    return {
      title: 'CIBA backchannel authentication request (POST /authn/bcauthorize, poll mode)',
      rows: [{ label: 'service (NestJS + Fastify)', result }],
      notes: [
        `p99 ${result.p99} ms at ${ctx.settings.connections} connections`,
        `challenges delivered by the background job when the load ended: ${atEnd.delivered} of ${atEnd.total}`,
        drained.delivered === drained.total
          ? `all ${drained.total} delivered ${drainSeconds} s after the load ended`
          : `${drained.delivered} of ${drained.total} delivered 120 s after the load ended`,
      ],
    };
  },
};
