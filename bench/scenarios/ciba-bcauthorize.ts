import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BENCH_TENANT, Scenario } from '../lib/context';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GRANT_CIBA = 'urn:openid:params:grant-type:ciba';

/**
 * POST /{tenant}/authn/bcauthorize in poll mode: client authentication, user and device
 * lookup, the request row, its createCibaRequest record and two durable jobs (delivery
 * retry, expiry) in one transaction, then the first delivery attempt before the answer.
 * Two parts: as fast as the service answers, then paced at BENCH_CIBA_RATE requests/s for
 * BENCH_CIBA_SECONDS, measuring the delay from each request's createCibaRequest record to
 * its indirectDeliverChallenge record (the contract's bound: under 1 s at p99).
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

    const request = {
      url: ctx.serviceUrl,
      path: `/${BENCH_TENANT}/authn/bcauthorize`,
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: () => new URLSearchParams({ scope: 'openid', login_hint: userName }).toString(),
    };
    const result = await ctx.measure(request);
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

    const rate = Number(process.env.BENCH_CIBA_RATE ?? 100);
    const seconds = Number(process.env.BENCH_CIBA_SECONDS ?? 60);
    const pacedFrom = (await ctx.pool.query<{ now: Date }>('SELECT clock_timestamp() AS now'))
      .rows[0].now;
    const paced = await ctx.measured({
      ...request,
      connections: ctx.settings.connections,
      durationSeconds: seconds,
      overallRate: rate,
    });
    const delay = await deliveryDelay(ctx.pool, clientId, pacedFrom);
    return {
      title: 'CIBA backchannel authentication request (POST /authn/bcauthorize, poll mode)',
      rows: [
        { label: 'service (NestJS + Fastify), saturating', result },
        { label: `service, paced at ${rate}/s for ${seconds} s`, result: paced },
      ],
      notes: [
        `saturating: p99 ${result.p99} ms at ${ctx.settings.connections} connections; ` +
          `${atEnd.delivered} of ${atEnd.total} delivered when the load ended, ` +
          (drained.delivered === drained.total
            ? `all ${drained.total} ${drainSeconds} s later`
            : `${drained.delivered} of ${drained.total} 120 s later`),
        `paced: ${delay.delivered} of ${delay.total} requests delivered; delay from ` +
          `createCibaRequest to indirectDeliverChallenge p50 ${delay.p50} ms, ` +
          `p99 ${delay.p99} ms, max ${delay.max} ms`,
      ],
    };
  },
};

/** Request-to-delivery delay of the client's requests made since `from`, from their records. */
async function deliveryDelay(
  pool: { query<R>(text: string, values: unknown[]): Promise<{ rows: R[] }> },
  clientId: string,
  from: Date,
) {
  const { rows } = await pool.query<{
    total: number;
    delivered: number;
    p50: number | null;
    p99: number | null;
    max: number | null;
  }>(
    `WITH requests AS (
       SELECT c.coi, c.created AS asked, min(d.created) AS delivered
       FROM audit_records c
       LEFT JOIN audit_records d ON d.tenant_id = c.tenant_id AND d.coi = c.coi
         AND d.action_name = 'indirectDeliverChallenge' AND d.result = 'RESPONSE_SUCCESS'
       WHERE c.tenant_id = $1 AND c.action_name = 'createCibaRequest'
         AND c.action_parameters->>'clientId' = $2 AND c.created >= $3
       GROUP BY c.coi, c.created),
     delays AS (SELECT extract(epoch FROM delivered - asked) * 1000 AS ms FROM requests)
     SELECT count(*)::int AS total, count(ms)::int AS delivered,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::int AS p50,
            round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::int AS p99,
            round(max(ms))::int AS max
     FROM delays`,
    [BENCH_TENANT, clientId, from],
  );
  return rows[0];
}
