import { BENCH_TENANT, Scenario } from '../lib/context';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** POST /{tenant}/v2/Users with a bearer token and a correlation id, against the floor. */
export const scenario: Scenario = {
  name: 'create-user',
  description:
    'POST /{tenant}/v2/Users (user row + audit row) vs a bare node:http + pg server doing the same inserts',
  async run(ctx) {
    const token = await ctx.adminToken();
    await ctx.pool.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING', ['floor']);
    const floorUrl = await ctx.startServer('bench/floor-server.ts', {}, '/');
    const run = `${Date.now().toString(36)}`;
    const body = (prefix: string) => (i: number) =>
      JSON.stringify({ schemas: [USER_SCHEMA], userName: `${prefix}-${run}-${i}` });

    const { service, floor, roundRatios } = await ctx.compare(
      {
        url: ctx.serviceUrl,
        path: `/${BENCH_TENANT}/v2/Users`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body('svc'),
      },
      {
        url: floorUrl,
        path: '/floor/users',
        headers: { 'content-type': 'application/json' },
        body: body('floor'),
      },
    );
    const ratio = service.rps / floor.rps;
    return {
      title: 'Create user (POST /Users, 1 user row + 1 audit row per request)',
      rows: [
        { label: 'service (NestJS + Fastify)', result: service },
        { label: 'floor (node:http + pg)', result: floor },
      ],
      notes: [
        `service / floor requests/s: ${(ratio * 100).toFixed(1)}% (target >= 60%, later 80%)`,
        `per round: ${roundRatios.map((r) => `${(r * 100).toFixed(1)}%`).join(', ')}`,
        `service p99 ${service.p99} ms at ${ctx.settings.connections} connections (target < 100 ms)`,
      ],
    };
  },
};
