import { AuditSealRow } from './audit-seal';
import { TrailPosition, TrailPurge, TrailSource, VerifiedRecordRow } from './audit-verifier';

/** Runs one statement and answers its rows: a pool, a client or the search connections. */
export type RunQuery = <T>(text: string, params: unknown[]) => Promise<T[]>;

const ISO = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** What the verifier reads of a record: every hashed column, the hash, the MAC, the order. */
export const VERIFIED_RECORD_COLUMNS = `r.id, r.tenant_id, r.correlation_id, r.request_id, r.coi,
  r.service_id, r.service_host, r.action_name, r.action_parameters, r.result, r.message,
  r.return_value, r.acting_user_id, r.acting_user_immutable_id, r.acting_session_id,
  r.acting_auth_method, r.target_user_id, r.target_user_immutable_id, r.changes, r.client, r.trace_id,
  ${ISO('r.created')} AS created, r.hash, r.mac, r.mac_key_id, r.xact_id::text AS xact_id`;

export const SEAL_COLUMNS = `s.id, s.tenant_id, s.seq::text AS seq, s.first_xact_id::text AS first_xact_id,
  s.first_record_id, s.last_xact_id::text AS last_xact_id, s.last_record_id, s.record_count,
  s.previous_hash, s.root, ${ISO('s.sealed')} AS sealed, s.key_id, s.signature`;

const RECORDS_AFTER = `SELECT ${VERIFIED_RECORD_COLUMNS} FROM audit_records r
  WHERE r.tenant_id = $1 AND (r.xact_id, r.id) > ($2::xid8, $3::uuid)
  ORDER BY r.xact_id, r.id LIMIT $4`;

const SEALS_FROM = `SELECT ${SEAL_COLUMNS} FROM audit_seals s
  WHERE s.tenant_id = $1 AND s.seq >= $2 ORDER BY s.seq LIMIT $3`;

/**
 * The trail of one tenant read in pages by key (commit order for records, seq for seals):
 * each page is one short statement on its own, so a check of millions of records never
 * holds a statement, a cursor or the whole trail in memory. The same SQL serves the service
 * (search connections) and `npm run audit:verify --database-url` (offline).
 */
export function sqlTrailSource(query: RunQuery, tenant: string, pageSize = 5000): TrailSource {
  return {
    async *records(after: TrailPosition) {
      let position = after;
      for (;;) {
        const rows = await query<VerifiedRecordRow>(RECORDS_AFTER, [
          tenant,
          position.xactId,
          position.id,
          pageSize,
        ]);
        yield* rows;
        if (rows.length < pageSize) return;
        const last = rows[rows.length - 1];
        position = { xactId: last.xact_id, id: last.id };
      }
    },
    async *seals(fromSeq: bigint) {
      let seq = fromSeq;
      for (;;) {
        const rows = await query<AuditSealRow>(SEALS_FROM, [tenant, String(seq), 1000]);
        yield* rows;
        if (rows.length < 1000) return;
        seq = BigInt(rows[rows.length - 1].seq) + 1n;
      }
    },
    async seal(seq: bigint) {
      const rows = await query<AuditSealRow>(
        `SELECT ${SEAL_COLUMNS} FROM audit_seals s WHERE s.tenant_id = $1 AND s.seq = $2`,
        [tenant, String(seq)],
      );
      return rows[0];
    },
    async purges() {
      // Served by audit_records_tenant_purges: the few records retention wrote.
      return query<TrailPurge>(
        `SELECT r.id AS "recordId", r.action_parameters->>'partition' AS partition,
                r.action_parameters->>'from' AS "from", r.action_parameters->>'to' AS "to",
                (r.action_parameters->>'records')::int AS records,
                r.action_parameters->>'seals' AS seals,
                r.action_parameters->>'lastSealSeq' AS "lastSealSeq"
           FROM audit_records r
          WHERE r.tenant_id = $1 AND r.action_name = 'purgeAuditRecords'
          ORDER BY r.created, r.id`,
        [tenant],
      );
    },
    async firstSeqFrom(time: string) {
      const rows = await query<{ seq: string }>(
        `SELECT min(seq)::text AS seq FROM audit_seals WHERE tenant_id = $1 AND sealed >= $2`,
        [tenant, time],
      );
      return rows[0]?.seq ? BigInt(rows[0].seq) : undefined;
    },
  };
}
