import { PoolClient } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { BENCH_TENANT, BenchContext, Scenario } from '../lib/context';
import { CpuSample, cpuPerRequest } from '../lib/cpu';
import { LoadResult } from '../lib/load';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** The default limit of one import request (IMPORT_MAX_ITEMS). */
const PER_REQUEST = 10_000;
const TOTAL = Number(process.env.BENCH_IMPORT_USERS ?? 100_000);
const WITH_PASSWORDS = Number(process.env.BENCH_IMPORT_PASSWORD_USERS ?? 1_000);
/** Rows per floor statement pair: the service's default batch (IMPORT_BATCH_SIZE). */
const FLOOR_BATCH = 500;

/** Members added to each user: a clear password, or a hash made elsewhere. */
export type UserExtra = { password: string } | { passwordHash: (i: number) => string };

function user(prefix: string, i: number, extra?: UserExtra) {
  return {
    schemas: [USER_SCHEMA],
    userName: `${prefix}-${i}@example.com`,
    externalId: `${prefix}-ext-${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    emails: [{ value: `${prefix}-${i}@example.com`, type: 'work', primary: true }],
    active: true,
    ...(extra && 'password' in extra ? { password: extra.password } : {}),
    ...(extra && 'passwordHash' in extra ? { passwordHash: extra.passwordHash(i) } : {}),
  };
}

/** The service's resident memory and V8 heap in use, from its Prometheus metrics. */
async function memory(ctx: BenchContext): Promise<{ rss: number; heap: number }> {
  // Once more on a network failure: building the bodies of a large import on a loaded
  // machine can outlast the service's keep-alive timeout, and fetch may reuse the socket
  // the service is closing at that moment.
  const scrape = () => fetch(`${ctx.serviceUrl}/metrics`);
  const res = await scrape().catch(scrape);
  const text = await res.text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: read('process_resident_memory_bytes'), heap: read('nodejs_heap_size_used_bytes') };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export interface ImportRun {
  users: number;
  seconds: number;
  postMs: number[];
  /** RSS sampled every 250 ms, with the number of users imported by then. */
  samples: { imported: number; rss: number; heap: number }[];
  failed: number;
  /** CPU µs per user, from the first POST until every import is completed. */
  cpu?: CpuSample;
}

/**
 * End to end: from the first POST until every import's status document says `completed`,
 * posting `users` in requests of at most PER_REQUEST items, back to back.
 */
export async function importUsers(
  ctx: BenchContext,
  prefix: string,
  users: number,
  extra?: UserExtra,
): Promise<ImportRun> {
  const token = await ctx.adminToken();
  const bodies: string[] = [];
  for (let from = 0; from < users; from += PER_REQUEST) {
    const size = Math.min(PER_REQUEST, users - from);
    bodies.push(
      JSON.stringify({
        users: Array.from({ length: size }, (_, i) => user(prefix, from + i, extra)),
      }),
    );
  }
  const samples: ImportRun['samples'] = [{ imported: 0, ...(await memory(ctx)) }];
  const cpuBefore = ctx.cpu();
  const started = performance.now();
  const locations: string[] = [];
  const postMs: number[] = [];
  for (const [n, body] of bodies.entries()) {
    const t0 = performance.now();
    const res = await fetch(`${ctx.serviceUrl}/${BENCH_TENANT}/v2/Users/.import`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/scim+json',
        'x-correlation-id': `bench-import-${prefix}-${n}`,
      },
      body,
    });
    postMs.push(performance.now() - t0);
    if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
    // Absolute: PUBLIC_BASE_URL is the bench service's own URL.
    locations.push(res.headers.get('location')!);
  }
  let failed = 0;
  for (;;) {
    const statuses = await Promise.all(
      locations.map(async (l) => {
        const res = await fetch(l, {
          headers: { authorization: `Bearer ${token}` },
        });
        return (await res.json()) as { status: string; nbImported: number; nbFailed: number };
      }),
    );
    const imported = statuses.reduce((sum, s) => sum + s.nbImported, 0);
    failed = statuses.reduce((sum, s) => sum + s.nbFailed, 0);
    if (statuses.every((s) => s.status === 'completed' || s.status === 'failed')) break;
    samples.push({ imported, ...(await memory(ctx)) });
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerRequest(cpuBefore, ctx.cpu(), users);
  samples.push({ imported: users, ...(await memory(ctx)) });
  return { users, seconds, postMs, samples, failed, cpu };
}

/**
 * The floor: the same user rows and one audit record each, written by multi-row INSERTs
 * (jsonb_to_recordset, FLOOR_BATCH rows per statement pair, one transaction per batch) into
 * the same tables with the same indexes and triggers, over `connections` connections (the
 * service works IMPORT_CONCURRENCY imports at once, 2 by default).
 */
async function floor(
  ctx: BenchContext,
  prefix: string,
  users: number,
  connections: number,
): Promise<{ seconds: number; cpu?: CpuSample }> {
  const tenant = 'bench-floor';
  await ctx.pool.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING', [tenant]);
  const batches = Array.from({ length: Math.ceil(users / FLOOR_BATCH) }, (_, b) => b);
  const cpuBefore = ctx.cpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const client = await ctx.pool.connect();
      try {
        for (const b of batches.filter((n) => n % connections === c)) {
          await floorBatch(
            client,
            tenant,
            prefix,
            b * FLOOR_BATCH,
            Math.min(users, (b + 1) * FLOOR_BATCH),
          );
        }
      } finally {
        client.release();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: cpuPerRequest(cpuBefore, ctx.cpu(), users) };
}

async function floorBatch(
  client: PoolClient,
  tenant: string,
  prefix: string,
  from: number,
  to: number,
): Promise<void> {
  const rows = [];
  const records = [];
  for (let i = from; i < to; i++) {
    const u = user(prefix, i);
    const id = uuidv7();
    rows.push({
      id,
      user_name: u.userName,
      external_id: u.externalId,
      resource: { name: u.name, emails: u.emails },
    });
    records.push({
      id: uuidv7(),
      request_id: uuidv7(),
      correlation_id: `bench-floor-${Math.floor(i / PER_REQUEST)}`,
      coi: 'FLOORFLOORFLOORFLOOR',
      action_parameters: { Action: 'createUser', COI: 'FLOORFLOORFLOORFLOOR' },
      target_user_id: u.userName,
      target_user_immutable_id: id,
    });
  }
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO users (id, tenant_id, user_name, external_id, active, resource)
     SELECT x.id, $1, x.user_name, x.external_id, true, x.resource
     FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, user_name text, external_id text, resource jsonb)`,
    [tenant, JSON.stringify(rows)],
  );
  await client.query(
    `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
       action_name, action_parameters, result, acting_user_id, target_user_id,
       target_user_immutable_id, created, hash)
     SELECT x.id, $1, x.correlation_id, x.request_id, x.coi, 'FLOOR', 'createUser',
       x.action_parameters, 'RESPONSE_SUCCESS', 'floor', x.target_user_id,
       x.target_user_immutable_id, now(), ''
     FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, correlation_id text, request_id uuid,
       coi text, action_parameters jsonb, target_user_id text, target_user_immutable_id text)`,
    [tenant, JSON.stringify(records)],
  );
  await client.query('COMMIT');
}

/** The floor's own work is this process's (the load tool column), not the service's. */
function row(users: number, seconds: number, latencies: number[], cpu?: CpuSample): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return {
    requests: users,
    rps: users / seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors: 0,
    non2xx: 0,
    ...(cpu ? { cpu } : {}),
  };
}

/**
 * RSS at each quarter of the import, and the peaks of RSS and V8 heap in its first and
 * second halves: memory that grew with the import would peak higher in the second.
 */
function memoryProfile(run: ImportRun): string[] {
  const quarters = [0.25, 0.5, 0.75, 1].map((q) => {
    const sample = run.samples.find((s) => s.imported >= q * run.users) ?? run.samples.at(-1)!;
    return `${Math.round(q * 100)}%: ${mib(sample.rss)}`;
  });
  const half = (first: boolean, key: 'rss' | 'heap') =>
    mib(
      Math.max(
        ...run.samples.filter((s) => s.imported < run.users / 2 === first).map((s) => s[key]),
      ),
    );
  return [
    `service RSS through the ${run.users}-user import: before ${mib(run.samples[0].rss)}, ${quarters.join(', ')}`,
    `peaks in the first / second half of it: RSS ${half(true, 'rss')} / ${half(false, 'rss')}, V8 heap used ${half(true, 'heap')} / ${half(false, 'heap')}`,
  ];
}

export const scenario: Scenario = {
  name: 'import-users',
  description: `POST /{tenant}/v2/Users/.import of ${TOTAL} users until completed vs a multi-row INSERT floor`,
  async run(ctx) {
    const run = Date.now().toString(36);
    // A first import of one full request warms the service and gives the memory baseline.
    const small = await importUsers(ctx, `warm-${run}`, PER_REQUEST);
    const big = await importUsers(ctx, `imp-${run}`, TOTAL);
    const floor1 = await floor(ctx, `floor1-${run}`, TOTAL, 1);
    const floor2 = await floor(ctx, `floor2-${run}`, TOTAL, 2);
    const floorSeconds = Math.min(floor1.seconds, floor2.seconds);
    const withPasswords = WITH_PASSWORDS
      ? await importUsers(ctx, `pw-${run}`, WITH_PASSWORDS, {
          password: 'correct horse battery staple',
        })
      : undefined;
    const serviceRate = big.users / big.seconds;
    const floorRate = TOTAL / floorSeconds;
    const peak = (r: ImportRun) => Math.max(...r.samples.map((s) => s.rss));
    return {
      title: `Bulk import of ${TOTAL} users (${Math.ceil(TOTAL / PER_REQUEST)} requests of ${PER_REQUEST}), each with its createUser record`,
      rows: [
        {
          label: `service: ${TOTAL} users, POST until completed`,
          result: row(big.users, big.seconds, big.postMs, big.cpu),
        },
        {
          label: 'floor: multi-row INSERTs of the same rows + records, 1 connection',
          result: row(TOTAL, floor1.seconds, [], floor1.cpu),
        },
        {
          label: 'floor: the same over 2 connections',
          result: row(TOTAL, floor2.seconds, [], floor2.cpu),
        },
        {
          label: `service: ${small.users} users (warm-up)`,
          result: row(small.users, small.seconds, small.postMs, small.cpu),
        },
        ...(withPasswords
          ? [
              {
                label: `service: ${withPasswords.users} users with a password (scrypt)`,
                result: row(withPasswords.users, withPasswords.seconds, withPasswords.postMs),
              },
            ]
          : []),
      ],
      notes: [
        "requests = users, req/s = users per second end to end (first POST until every status is completed); p50/p99 = POST response time in ms; CPU per user (the floor's own work is the load tool column; the service's includes answering the status polls)",
        `service ${serviceRate.toFixed(0)} users/s vs the faster floor ${floorRate.toFixed(0)} users/s: ${((serviceRate / floorRate) * 100).toFixed(1)}% of it (target >= 5000 users/s end to end)`,
        `items failed: ${big.failed} (expected 0)`,
        ...memoryProfile(big),
        `service RSS peak: ${mib(peak(small))} for the first ${small.users}-user import, ${mib(peak(big))} for the ${big.users}-user one`,
        ...(withPasswords
          ? [
              `a password costs: ${(withPasswords.users / withPasswords.seconds).toFixed(0)} users/s with passwords vs ${serviceRate.toFixed(0)} without`,
            ]
          : []),
      ],
    };
  },
};
