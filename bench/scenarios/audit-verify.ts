import { v7 as uuidv7 } from 'uuid';
import { parseRecordKeys, recordHash, recordMac } from '../../src/audit/record-integrity';
import { BENCH_RECORD_KEYS, BENCH_TENANT, Scenario } from '../lib/context';

const ROWS = Number(process.env.BENCH_VERIFY_ROWS ?? 200_000);
const BATCH = 5000;

const INSERT = `
  INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
    service_host, action_name, action_parameters, result, message, return_value, acting_user_id,
    acting_user_immutable_id, acting_session_id, acting_auth_method, target_user_id,
    target_user_immutable_id, created, hash, mac, mac_key_id)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    id uuid, tenant_id text, correlation_id text, request_id uuid, coi text, service_id text,
    service_host text, action_name text, action_parameters jsonb, result text, message text,
    return_value jsonb, acting_user_id text, acting_user_immutable_id text,
    acting_session_id text, acting_auth_method text, target_user_id text,
    target_user_immutable_id text, created timestamptz, hash text, mac text, mac_key_id text)`;

/**
 * GET /{tenant}/v2/AuditRecords/.verify over BENCH_VERIFY_ROWS records (200,000), written
 * as the service writes them (hash and MAC under its record key) and sealed by its sealer:
 * records checked per second (hash, MAC, Merkle leaf, seals' roots and signatures), read
 * page by page from PostgreSQL. Target: 100,000 records/s.
 */
export const scenario: Scenario = {
  name: 'audit-verify',
  description: 'GET /AuditRecords/.verify over a sealed trail: records checked per second',
  async run(ctx) {
    const key = parseRecordKeys(BENCH_RECORD_KEYS)![0];
    const started = Date.now();
    for (let done = 0; done < ROWS; done += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, ROWS - done) }, (_, i) => {
        const n = done + i;
        const row = {
          id: uuidv7(),
          tenant_id: BENCH_TENANT,
          correlation_id: n % 3 === 0 ? null : `cid-${n >> 2}`,
          request_id: uuidv7(),
          coi: n % 5 === 0 ? `COI-${n >> 8}` : null,
          service_id: 'CH_DIRECT',
          service_host: 'bench-host',
          action_name: 'createUser',
          action_parameters: {
            Action: 'createUser',
            ...(n % 5 === 0 ? { COI: `COI-${n >> 8}` } : {}),
          },
          result: 'RESPONSE_SUCCESS',
          message: null,
          return_value: null,
          acting_user_id: `client-${n % 5}`,
          acting_user_immutable_id: null,
          acting_session_id: `jti-${n >> 3}`,
          acting_auth_method: 'client_secret_basic',
          target_user_id: `user-${n}`,
          target_user_immutable_id: uuidv7(),
          created: new Date().toISOString(),
        };
        const hash = recordHash(row);
        return {
          ...row,
          hash,
          mac: recordMac(key, row.tenant_id, row.id, hash),
          mac_key_id: key.id,
        };
      });
      await ctx.pool.query(INSERT, [JSON.stringify(rows)]);
    }
    const loadSeconds = (Date.now() - started) / 1000;
    const token = await ctx.adminToken('audit:read');
    const verify = async () => {
      const cpu0 = ctx.cpu().service;
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${ctx.serviceUrl}/${BENCH_TENANT}/v2/AuditRecords/.verify`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const report = (await res.json()) as {
        verified: boolean;
        checkedRecords: number;
        checkedSeals: number;
        unsealedRecords: number;
      };
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return { report, seconds, cpuSeconds: ctx.cpu().service - cpu0 };
    };
    const sealStart = Date.now();
    for (;;) {
      const { report } = await verify();
      if (!report.verified) throw new Error(`trail does not verify: ${JSON.stringify(report)}`);
      if (report.unsealedRecords === 0) break;
      if (Date.now() - sealStart > 300_000) throw new Error('sealing did not finish');
      await new Promise((r) => setTimeout(r, 1000));
    }
    // What autovacuum does to an insert-only table (audit-search and audit-export do the same;
    // the test server runs without it). Without statistics the planner sorts the rest of the
    // trail for every page, on disk, instead of reading it in commit-order index order.
    const sealedSeconds = (Date.now() - sealStart) / 1000;
    const vacuumStarted = Date.now();
    await ctx.pool.query('VACUUM (ANALYZE) audit_records');
    const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await verify());
    const rates = runs.map((r) => r.report.checkedRecords / r.seconds).sort((a, b) => a - b);
    const last = runs[runs.length - 1].report;
    const perCpu = runs
      .map((r) => r.report.checkedRecords / Math.max(r.cpuSeconds, 0.01))
      .sort((a, b) => a - b);
    return {
      title: `Verify the audit trail (.verify over ${last.checkedRecords} records, ${last.checkedSeals} seals)`,
      rows: [],
      notes: [
        `records checked per second, 3 runs: ${rates.map((r) => r.toFixed(0)).join(', ')} (median ${rates[1].toFixed(0)}; target >= 100,000)`,
        `records per CPU second of the service process (independent of other load on the machine): ${perCpu.map((r) => r.toFixed(0)).join(', ')}`,
        `each run: ${runs.map((r) => `${r.seconds.toFixed(2)} s`).join(', ')}; load of ${ROWS} records ${loadSeconds.toFixed(1)} s; all sealed ${sealedSeconds.toFixed(1)} s after the load; VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s`,
      ],
    };
  },
};
