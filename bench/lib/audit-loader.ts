import { Pool } from 'pg';

/**
 * Fills audit_records through the service's own schema: plain INSERTs, so the BEFORE INSERT
 * trigger stamps `created` and `hash` and every index is maintained as in production.
 *
 * Row k goes to tenant k mod T (tenant 0 is the bench tenant the service searches), so the
 * tenants' records interleave in time as they would. Within a tenant, row i belongs to:
 *   - an import operation when floor(i / 500) mod 5 = 0 (20% of rows): 500 records that share
 *     one COI `COI-<t>-<op>`, one call's correlation id `imp-<t>-<op>` and one request id;
 *   - otherwise a request of 3 records, `cid-<t>-<g>` with g = floor(i / 3), 70% of requests
 *     sending a correlation id; one request in ten (g mod 10 = 9, none of them with a
 *     correlation id) stands for a CIBA flow instead: createCibaRequest,
 *     indirectDeliverChallenge and approveChallenge sharing the COI `CIBA-<t>-<g>`;
 * with HID's action names, 5% failures with a message, 5 acting clients and 10,000 users.
 * Ids are time-ordered like the service's UUIDv7s.
 */
export const OP_SIZE = 500;
export const REQUEST_SIZE = 3;

export interface LoadPlan {
  rows: number;
  tenants: number;
  /** Name of tenant index t (0 is the searched tenant). */
  tenantName: (t: number) => string;
  batchSize?: number;
  workers?: number;
  onProgress?: (done: number) => void;
}

const INSERT = `
  INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
    service_host, action_name, action_parameters, result, message, return_value, acting_user_id,
    acting_user_immutable_id, acting_session_id, acting_auth_method, target_user_id,
    target_user_immutable_id, created, hash)
  SELECT
    (lpad(to_hex($3::bigint), 12, '0') || '7' || lpad(to_hex(k), 19, '0'))::uuid,
    tenant, correlation_id, request_id, coi, 'CH_DIRECT', 'bench-host', action,
    jsonb_build_object('Action', action)
      || CASE WHEN coi IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('COI', coi) END,
    CASE WHEN failed THEN 'RESPONSE_FAILURE' ELSE 'RESPONSE_SUCCESS' END,
    CASE WHEN failed THEN (ARRAY['Invalid client credentials', 'Timeout while delivering the challenge',
      'userName is already taken', 'The resource has changed'])[1 + (g % 4)] END,
    CASE WHEN failed THEN '{"status":"400","error":"invalid_request"}'::jsonb END,
    'client-' || (i % 5), md5('client' || t || '-' || (i % 5))::uuid::text,
    md5('jti' || t || '-' || g)::uuid::text, 'client_secret_basic',
    CASE WHEN action <> 'primaryAuthenticateUP' THEN 'user-' || ((i * 7919) % 10000) END,
    CASE WHEN action <> 'primaryAuthenticateUP'
      THEN md5('user' || t || '-' || ((i * 7919) % 10000))::uuid::text END,
    now(), ''
  FROM (
    SELECT k, t, i, g, op, in_op,
      CASE WHEN t = 0 THEN $4 ELSE $5 || lpad(t::text, 2, '0') END AS tenant,
      CASE WHEN in_op THEN 'imp-' || t || '-' || op
           WHEN g % 10 < 7 THEN 'cid-' || t || '-' || g END AS correlation_id,
      CASE WHEN in_op THEN md5('req' || t || '-op' || op) ELSE md5('req' || t || '-' || g) END::uuid
        AS request_id,
      CASE WHEN in_op THEN 'COI-' || t || '-' || op
           WHEN g % 10 = 9 THEN 'CIBA-' || t || '-' || g END AS coi,
      CASE WHEN in_op THEN (CASE WHEN i % ${OP_SIZE} IN (0, ${OP_SIZE - 1}) THEN 'importUsers' ELSE 'createUser' END)
           WHEN g % 10 = 9 THEN (ARRAY['createCibaRequest', 'indirectDeliverChallenge',
             'approveChallenge'])[1 + i % ${REQUEST_SIZE}]
           ELSE (ARRAY['createUser', 'updateUser', 'deleteUser', 'primaryAuthenticateUP',
             'createAdapterConfiguration', 'approveChallenge'])[1 + (g % 6)] END AS action,
      i % 20 = 7 AS failed
    FROM (
      SELECT k, t, i, i / ${REQUEST_SIZE} AS g, i / ${OP_SIZE} AS op, (i / ${OP_SIZE}) % 5 = 0 AS in_op
      FROM (SELECT k, k % $6 AS t, k / $6 AS i FROM generate_series($1::bigint, $2::bigint) AS k) AS s0
    ) AS s1
  ) AS s2`;

/** Loads `plan.rows` rows in batches on a few connections; returns the seconds it took. */
export async function loadAuditRecords(pool: Pool, plan: LoadPlan): Promise<number> {
  const batch = plan.batchSize ?? 20_000;
  const started = Date.now();
  const baseMs = started;
  const others = plan.tenantName(1).replace(/\d+$/, '');
  let next = 0;
  let done = 0;
  const worker = async () => {
    const client = await pool.connect();
    try {
      // A bulk load need not wait for each batch's WAL flush; the schema is untouched.
      await client.query('SET synchronous_commit = off');
      for (;;) {
        const from = next;
        if (from >= plan.rows) return;
        next += batch;
        const to = Math.min(from + batch, plan.rows) - 1;
        await client.query(INSERT, [from, to, baseMs, plan.tenantName(0), others, plan.tenants]);
        done += to - from + 1;
        plan.onProgress?.(done);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: plan.workers ?? 2 }, worker));
  return (Date.now() - started) / 1000;
}

/** The picks the searches use: ids that exist in tenant 0 for the loaded row count. */
export function searchTargets(rows: number, tenants: number) {
  const perTenant = Math.floor(rows / tenants);
  // Requests and CIBA flows lie outside the first import (records 0-499 of each 2,500).
  if (perTenant < 5 * OP_SIZE) {
    throw new Error(
      `BENCH_AUDIT_ROWS / BENCH_AUDIT_TENANTS must be at least ${5 * OP_SIZE} records per tenant`,
    );
  }
  const groups = Math.floor(perTenant / REQUEST_SIZE);
  const ops = Math.floor(perTenant / OP_SIZE / 5);
  const random = (n: number) => Math.floor(Math.random() * n);
  return {
    perTenant,
    /** A request's correlation id: 3 records. */
    requestCorrelationId(): string {
      for (;;) {
        const g = random(groups);
        const op = Math.floor((g * REQUEST_SIZE) / OP_SIZE);
        if (g % 10 < 7 && op % 5 !== 0) return `cid-0-${g}`;
      }
    },
    /** A CIBA flow's COI: 3 records. */
    cibaCoi(): string {
      for (;;) {
        const g = random(groups);
        const op = Math.floor((g * REQUEST_SIZE) / OP_SIZE);
        if (g % 10 === 9 && op % 5 !== 0) return `CIBA-0-${g}`;
      }
    },
    /** An import call's correlation id: 500 records. */
    importCorrelationId: () => `imp-0-${5 * random(ops)}`,
    /** An import's COI: 500 records. */
    importCoi: () => `COI-0-${5 * random(ops)}`,
    targetUser: () => `user-${random(10_000)}`,
  };
}
