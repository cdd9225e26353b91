import { BENCH_TENANT, Scenario } from '../lib/context';

/**
 * POST /{tenant}/authn/register: the three-record fan-out (service account, configuration,
 * secret authenticator) in one transaction, against a bare server doing the same writes.
 */
export const scenario: Scenario = {
  name: 'register-client',
  description:
    'POST /{tenant}/authn/register (user + client rows, 3 audit rows) vs a bare node:http + pg server doing the same inserts',
  async run(ctx) {
    const token = await ctx.adminToken();
    await ctx.pool.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING', ['floor']);
    const floorUrl = await ctx.startServer('bench/floor-register-client.ts', {}, '/');
    const body = (i: number) =>
      JSON.stringify({ client_name: `bench client ${i}`, scope: 'users:read' });

    const { service, floor, roundRatios } = await ctx.compare(
      {
        url: ctx.serviceUrl,
        path: `/${BENCH_TENANT}/authn/register`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      },
      {
        url: floorUrl,
        path: '/floor/register',
        headers: { 'content-type': 'application/json' },
        body,
      },
    );
    // Records are matched to the clients this scenario made, not to a correlation prefix
    // other scenarios share.
    const { rows } = await ctx.pool.query<{ records: number; clients: number }>(
      `SELECT count(DISTINCT c.client_id)::int AS clients, count(a.id)::int AS records
       FROM clients c
       LEFT JOIN audit_records a ON a.tenant_id = c.tenant_id AND a.target_user_id = c.client_id
         AND a.action_name IN ('createUser', 'createAdapterConfiguration', 'createUPAuthenticator')
       WHERE c.tenant_id = $1 AND c.client_name LIKE 'bench client %'`,
      [BENCH_TENANT],
    );
    const ratio = service.rps / floor.rps;
    return {
      title: 'Register client (POST /authn/register, 2 rows + 3 audit rows per request)',
      rows: [
        { label: 'service (NestJS + Fastify)', result: service },
        { label: 'floor (node:http + pg)', result: floor },
      ],
      notes: [
        `service / floor requests/s: ${(ratio * 100).toFixed(1)}% (target >= 60%, later 80%)`,
        `per round: ${roundRatios.map((r) => `${(r * 100).toFixed(1)}%`).join(', ')}`,
        `service p99 ${service.p99} ms at ${ctx.settings.connections} connections (target < 100 ms)`,
        `clients registered by the service (warm-up included): ${rows[0].clients}, with ${rows[0].records} fan-out records (${(rows[0].records / Math.max(rows[0].clients, 1)).toFixed(2)} per client)`,
      ],
    };
  },
};
