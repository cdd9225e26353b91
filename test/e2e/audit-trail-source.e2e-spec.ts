import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  CANONICAL_TEXT_SQL,
  pgTrailDatabase,
  sqlTrailSource,
  VERIFIED_RECORD_COLUMNS,
} from '../../src/audit/audit-trail-source';
import { TRAIL_START, VerifiedRecordRow, VerifyReport } from '../../src/audit/audit-verifier';
import {
  canonicalRecordText,
  HashedRecordFields,
  parseRecordKeys,
  recordHash,
  recordMac,
} from '../../src/audit/record-integrity';
import { streamRows } from '../../src/database/stream-rows';
import { useTestApp } from '../utils/suite';
import { TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

const RECORD_KEYS = `k1:${randomBytes(32).toString('base64')}`;
const KEY = parseRecordKeys(RECORD_KEYS)![0];

/** Every kind of value a column can hold: nulls, escapes, non-ASCII, the optional keys. */
const TRICKY =
  'quote " backslash \\ slash / nl \n cr \r tab \t bs \b ff \f \u0001 \u001f \u007f é ✓ 😀 \u2028';

function row(tenant: string, n: number, over: Partial<HashedRecordFields>): HashedRecordFields {
  return {
    id: uuidv7(),
    tenant_id: tenant,
    correlation_id: `c-${n}`,
    request_id: uuidv7(),
    coi: null,
    service_id: 'CH_DIRECT',
    service_host: 'host',
    action_name: 'createUser',
    action_parameters: { Action: 'createUser' },
    result: 'RESPONSE_SUCCESS',
    message: null,
    return_value: null,
    acting_user_id: null,
    acting_user_immutable_id: null,
    acting_session_id: null,
    acting_auth_method: null,
    target_user_id: null,
    target_user_immutable_id: null,
    created: new Date(Date.UTC(2026, 11, 3, 10, 0, n, 7)).toISOString(),
    ...over,
  };
}

/**
 * The verifier hashes the canonical text as its statement renders it (CANONICAL_TEXT_SQL):
 * that text must be the service's (`canonicalRecordText`) byte for byte, for every value a
 * column can hold; and where the two renderings of a value differ (a JSON number's form),
 * the record must still verify, and still fail when it is edited.
 */
describe('the verifier statement renders the canonical text (docs/audit-integrity.md)', () => {
  const s = useTestApp({ tenants: 3, env: { AUDIT_RECORD_KEYS: RECORD_KEYS } });

  async function verify(tenant: string): Promise<VerifyReport> {
    const res = await s.t.request({
      method: 'GET',
      url: `/${tenant}/v2/AuditRecords/.verify`,
      token: await s.t.adminToken(tenant),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function insert(rows: HashedRecordFields[]): Promise<void> {
    for (const r of rows) {
      const hash = recordHash(r);
      await s.t.db.query(
        `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
           service_host, action_name, action_parameters, result, message, return_value,
           acting_user_id, acting_user_immutable_id, acting_session_id, acting_auth_method,
           target_user_id, target_user_immutable_id, changes, client, trace_id, created, hash,
           mac, mac_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13, $14, $15,
           $16, $17, $18, $19::jsonb, $20::jsonb, $21, $22, $23, $24, $25)`,
        [
          r.id,
          r.tenant_id,
          r.correlation_id,
          r.request_id,
          r.coi,
          r.service_id,
          r.service_host,
          r.action_name,
          JSON.stringify(r.action_parameters),
          r.result,
          r.message,
          r.return_value === null ? null : JSON.stringify(r.return_value),
          r.acting_user_id,
          r.acting_user_immutable_id,
          r.acting_session_id,
          r.acting_auth_method,
          r.target_user_id,
          r.target_user_immutable_id,
          r.changes == null ? null : JSON.stringify(r.changes),
          r.client == null ? null : JSON.stringify(r.client),
          r.trace_id ?? null,
          r.created,
          hash,
          recordMac(KEY, r.tenant_id, r.id, hash),
          KEY.id,
        ],
      );
    }
  }

  it('gives the service canonical text byte for byte, for every kind of value', async () => {
    const tenant = s.t.tenants[0];
    const rows = [
      row(tenant, 1, {}),
      row(tenant, 2, {
        correlation_id: null,
        coi: TRICKY,
        service_host: null,
        action_parameters: { Action: 'x', [TRICKY]: TRICKY, é: 'ü', longerKey: '' },
        result: 'RESPONSE_FAILURE',
        message: TRICKY,
        return_value: { status: '400', error: TRICKY },
        acting_user_id: TRICKY,
        acting_user_immutable_id: 'i',
        acting_session_id: 's',
        acting_auth_method: 'm',
        target_user_id: 't',
        target_user_immutable_id: TRICKY,
      }),
      row(tenant, 3, {
        action_parameters: {},
        changes: [{ attribute: 'active', op: 'replace', before: true, after: null, n: 12.5 }],
        client: { ipAddress: '127.0.0.1', userAgent: TRICKY, fromRequest: true, nested: { a: [] } },
        trace_id: TRICKY,
      }),
      row(tenant, 4, { changes: [], client: {}, trace_id: '' }),
    ];
    await insert(rows);
    const stored = await s.t.db.query<(VerifiedRecordRow & { canonical: string })[]>(
      `SELECT ${VERIFIED_RECORD_COLUMNS}, ${CANONICAL_TEXT_SQL} AS canonical
       FROM audit_records r WHERE r.tenant_id = $1 AND r.id = ANY($2::uuid[])`,
      [tenant, rows.map((r) => r.id)],
    );
    expect(stored).toHaveLength(rows.length);
    for (const r of stored) {
      expect(r.canonical).toBe(canonicalRecordText(r));
      expect(r.canonical).toBe(canonicalRecordText(rows.find((x) => x.id === r.id)!));
    }
    const report = await verify(tenant);
    expect(report).toMatchObject({ verified: true, firstFailure: null });
  });

  it('checks a value rendered otherwise from the full row: verified, and an edit still found', async () => {
    const tenant = s.t.tenants[1];
    // 1e21 is `1e+21` to JSON.stringify and 1000000000000000000000 in jsonb's text form.
    const odd = row(tenant, 1, { changes: [{ attribute: 'x', before: 1e21, after: 0.1 }] });
    await insert([row(tenant, 0, {}), odd, row(tenant, 2, {})]);
    const [rendered] = await s.t.db.query<{ canonical: string }[]>(
      `SELECT ${CANONICAL_TEXT_SQL} AS canonical FROM audit_records r WHERE r.id = $1`,
      [odd.id],
    );
    expect(rendered.canonical).not.toBe(canonicalRecordText(odd)); // the generic path is taken
    expect(await verify(tenant)).toMatchObject({ verified: true, firstFailure: null });

    const runner = s.t.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL session_replication_role = replica');
      await runner.query(`UPDATE audit_records SET message = 'edited' WHERE id = $1`, [odd.id]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const report = await verify(tenant);
    expect(report.verified).toBe(false);
    expect(report.firstFailure).toMatchObject({ recordId: odd.id });
    expect(report.firstFailure!.reason).toMatch(/hash/);
  });

  it('hands on every record once, in commit order, across pages, as the rows arrive', async () => {
    const tenant = s.t.tenants[2];
    await insert(Array.from({ length: 23 }, (_, n) => row(tenant, n, {})));
    const expected = (
      await s.t.db.query<{ id: string }[]>(
        'SELECT id FROM audit_records WHERE tenant_id = $1 ORDER BY xact_id, id',
        [tenant],
      )
    ).map((r) => r.id);
    const client = new Client({ connectionString: process.env[TEST_DB_SUPERUSER_ENV] });
    await client.connect();
    try {
      const db = pgTrailDatabase(client);
      // Pages of 5 and of the whole trail and more: the last page full, short or empty.
      for (const pageSize of [5, 23, 100]) {
        const seen: string[] = [];
        for await (const rows of sqlTrailSource(db, tenant, pageSize).records(TRAIL_START)) {
          expect(rows.length).toBeGreaterThan(0);
          seen.push(...rows.map((r) => r.id));
        }
        expect(seen).toEqual(expected);
      }
      const after: string[] = [];
      // The statement's failure (here: a malformed position) ends the walk with its error.
      const broken = sqlTrailSource(db, tenant, 5).records({ xactId: '0', id: 'not-a-uuid' });
      await expect(
        (async () => {
          for await (const rows of broken) after.push(...rows.map((r) => r.id));
        })(),
      ).rejects.toThrow(/uuid/);
      expect(after).toEqual([]);
      // A row handler's exception stops the rows, ends the statement and is the answer.
      const handed: number[] = [];
      const stopped = streamRows<{ n: number }>(
        client,
        { text: 'SELECT generate_series(1, 5) AS n' },
        (r) => {
          if (r.n === 3) throw new Error('stop at 3');
          handed.push(r.n);
        },
      );
      await expect(stopped).rejects.toThrow('stop at 3');
      expect(handed).toEqual([1, 2]);
      // The connection is usable after both.
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
