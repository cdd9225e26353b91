import { BENCH_TENANT, Scenario } from '../lib/context';
import { load, LoadResult } from '../lib/load';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Issue 13's abuse case: 16 connections, 8 sending token requests with a wrong secret (no
 * credentials needed) and 8 writes with a forged bearer token, while one paced client probes
 * /health/live and another creates users. Measured once without the attack, then under it. With the defaults the attackers'
 * address is throttled after AUTH_FAILURE_MAX failures (429), and every refusal is still
 * recorded; the targets are /health/live p50 < 20 ms and writes p50 < 100 ms.
 */
export const scenario: Scenario = {
  name: 'auth-abuse',
  description:
    '16 concurrent bad token requests and forged bearer calls vs /health/live and POST /Users latency (paced probes)',
  async run(ctx) {
    const token = await ctx.adminToken();
    const { durationSeconds } = ctx.settings;
    const run = Date.now().toString(36);
    const probes = (label: string): Promise<[LoadResult, LoadResult]> =>
      Promise.all([
        load({
          url: ctx.serviceUrl,
          method: 'GET',
          path: '/health/live',
          connections: 1,
          durationSeconds,
          overallRate: 20,
        }),
        load({
          url: ctx.serviceUrl,
          method: 'POST',
          path: `/${BENCH_TENANT}/v2/Users`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: (i) => JSON.stringify({ schemas: [USER_SCHEMA], userName: `${label}-${run}-${i}` }),
          connections: 1,
          durationSeconds,
          overallRate: 10,
        }),
      ]);
    const [liveQuiet, writeQuiet] = await probes('quiet');
    const wrong = Buffer.from(`${BENCH_TENANT}-admin:wrong-secret-0123456789`).toString('base64');
    // A token with a real header and claims whose signature does not match: the full check.
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const [attack, bearerAttack, [liveBusy, writeBusy]] = await Promise.all([
      load({
        url: ctx.serviceUrl,
        method: 'POST',
        path: `/${BENCH_TENANT}/authn/token`,
        headers: {
          authorization: `Basic ${wrong}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: () => 'grant_type=client_credentials',
        connections: 8,
        durationSeconds,
      }),
      load({
        url: ctx.serviceUrl,
        method: 'POST',
        path: `/${BENCH_TENANT}/v2/Users`,
        headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/scim+json' },
        body: (i) => JSON.stringify({ schemas: [USER_SCHEMA], userName: `forged-${run}-${i}` }),
        connections: 8,
        durationSeconds,
      }),
      probes('busy'),
    ]);
    return {
      title: 'Auth abuse (16 connections: bad token requests and forged bearer tokens; paced probes)',
      rows: [
        { label: '/health/live, quiet (20/s)', result: liveQuiet },
        { label: 'POST /Users, quiet (10/s)', result: writeQuiet },
        { label: 'bad token requests (8 connections)', result: attack },
        { label: 'POST /Users with a forged token (8 connections)', result: bearerAttack },
        { label: '/health/live, under attack (20/s)', result: liveBusy },
        { label: 'POST /Users, under attack (10/s)', result: writeBusy },
      ],
      notes: [
        `/health/live p50 ${liveQuiet.p50} ms quiet, ${liveBusy.p50} ms under attack (target < 20 ms)`,
        `POST /Users p50 ${writeQuiet.p50} ms quiet, ${writeBusy.p50} ms under attack (target < 100 ms)`,
        `bad token requests answered: ${attack.requests} (${attack.rps.toFixed(0)}/s), all non-2xx (401, then 429 once AUTH_FAILURE_MAX is reached; the 429s' records coalesced)`,
        `forged bearer calls answered: ${bearerAttack.requests} (${bearerAttack.rps.toFixed(0)}/s), all 401 (past AUTH_FAILURE_MAX from the address: held AUTH_FAILURE_DELAY_MS, records coalesced)`,
      ],
    };
  },
};
