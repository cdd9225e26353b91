import { ClientBase, Pool, QueryResultRow } from 'pg';
import { streamRows } from '../database/stream-rows';
import { AuditSealRow } from './audit-seal';
import { TrailPosition, TrailPurge, TrailSource, VerifiedRecordRow } from './audit-verifier';
import { TrailRecordRow } from './record-check';

/** Runs one statement and answers its rows: a pool, a client or the search connections. */
export type RunQuery = <T>(text: string, params: unknown[]) => Promise<T[]>;

/** Runs one statement and hands each row to `onRow` as it arrives (`streamRows`). */
export type StreamQuery = <T extends QueryResultRow>(
  text: string,
  params: unknown[],
  onRow: (row: T) => void,
) => Promise<unknown>;

/** Where the trail is read: the search connections, or a pool or client of its own. */
export interface TrailDatabase {
  query: RunQuery;
  stream: StreamQuery;
}

/** A trail database on a `pg` pool (`npm run audit:verify`) or a connected client. */
export function pgTrailDatabase(pg: Pool | ClientBase): TrailDatabase {
  return {
    query: async <T>(text: string, params: unknown[]) => (await pg.query(text, params)).rows as T[],
    stream: async (text, params, onRow) => {
      if (!(pg instanceof Pool)) return streamRows(pg, { text, values: params }, onRow);
      const client = await pg.connect();
      let failure: Error | undefined;
      try {
        return await streamRows(client, { text, values: params }, onRow);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        client.release(failure);
      }
    },
  };
}

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

/** A nullable text column as JSON text: a string escaped as `JSON.stringify` does, or null. */
const json = (column: string) => `coalesce(to_json(${column})::text, 'null')`;
/** A key present only when its column is set, as `canonicalRecordText` writes it. */
const optional = (key: string, value: string, column: string) =>
  `CASE WHEN ${column} IS NULL THEN '' ELSE '"${key}": ' || ${value} || ', ' END`;

/**
 * `canonicalRecordText` (record-integrity.ts) rendered by the statement from the stored
 * columns, byte for byte: keys in jsonb order, strings through `to_json` (the escapes of
 * JSON.stringify), jsonb columns in their own text form (which is the format's definition).
 * The verifier hashes it instead of parsing each column and rebuilding it, which was most
 * of its time. Any edit of a column changes this text, so the stored hash no longer matches;
 * a value the statement renders otherwise than the service wrote it (a number's form in a
 * JSON column) is checked again from the full row (`record`), so it costs time, not a
 * false alarm. audit-trail-source.e2e-spec.ts holds the two renderings equal.
 */
export const CANONICAL_TEXT_SQL = `concat(
  '{"id": "', r.id, '", "coi": ', ${json('r.coi')},
  ', "action": {"actionName": ', ${json('r.action_name')},
  ', "actionParameters": ', coalesce(r.action_parameters::text, 'null'), '}, ',
  ${optional('client', 'r.client::text', 'r.client')},
  '"result": ', ${json('r.result')}, ', ',
  ${optional('changes', 'r.changes::text', 'r.changes')},
  '"created": "', ${ISO('r.created')}, '", "message": ', ${json('r.message')},
  ', "service": {"id": ', ${json('r.service_id')}, ', "host": ', ${json('r.service_host')}, '}, ',
  ${optional('traceId', json('r.trace_id'), 'r.trace_id')},
  '"tenantId": ', ${json('r.tenant_id')}, ', "requestId": "', r.request_id,
  '", "returnValue": ', coalesce(r.return_value::text, 'null'),
  ', "actingUserId": {"id": ', ${json('r.acting_user_id')},
  ', "sessionId": ', ${json('r.acting_session_id')},
  ', "immutableId": ', ${json('r.acting_user_immutable_id')},
  ', "authenticationMethod": ', ${json('r.acting_auth_method')},
  '}, "targetUserId": {"id": ', ${json('r.target_user_id')},
  ', "immutableId": ', ${json('r.target_user_immutable_id')},
  '}, "correlationId": ', ${json('r.correlation_id')}, '}')`;

/** What the verifier reads of each record in bulk: few columns, the hashed ones as one text. */
export const CHECKED_RECORD_COLUMNS = `r.id, r.tenant_id, r.xact_id::text AS xact_id, r.hash, r.mac,
  r.mac_key_id, ${CANONICAL_TEXT_SQL} AS canonical`;

const RECORDS_AFTER = `SELECT ${CHECKED_RECORD_COLUMNS} FROM audit_records r
  WHERE r.tenant_id = $1 AND (r.xact_id, r.id) > ($2::xid8, $3::uuid)
  ORDER BY r.xact_id, r.id LIMIT $4`;

const SEALS_FROM = `SELECT ${SEAL_COLUMNS} FROM audit_seals s
  WHERE s.tenant_id = $1 AND s.seq >= $2 ORDER BY s.seq LIMIT $3`;

/**
 * The trail of one tenant read in pages by key (commit order for records, seq for seals):
 * each page is one statement on its own, so a check of millions of records never holds a
 * cursor or a snapshot for long. A page's records are handed on as they arrive, in the
 * batches each socket read brings (`streamRows`), and are checked while PostgreSQL renders
 * the next ones: memory holds a socket read's worth of records (the rest of a page at most,
 * while the check awaits a signature or a full row), and no record lives long enough for
 * the garbage collector to copy it. Since a page's statement lasts as long
 * as its records take to check, pages are kept well within the search connections'
 * statement timeout. The same SQL serves the service (search connections) and
 * `npm run audit:verify --database-url` (offline).
 */
export function sqlTrailSource(db: TrailDatabase, tenant: string, pageSize = 5_000): TrailSource {
  const query = db.query;
  return {
    async *records(after: TrailPosition) {
      for (let from = after; ;) {
        let count = 0;
        let last: TrailRecordRow | undefined;
        const page = arriving<TrailRecordRow>((onRow) =>
          db.stream(RECORDS_AFTER, [tenant, from.xactId, from.id, pageSize], onRow),
        );
        for await (const rows of page) {
          count += rows.length;
          last = rows[rows.length - 1];
          yield rows;
        }
        if (count < pageSize || !last) return;
        from = { xactId: last.xact_id, id: last.id };
      }
    },
    async record(id: string) {
      const rows = await query<VerifiedRecordRow>(
        `SELECT ${VERIFIED_RECORD_COLUMNS} FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2`,
        [tenant, id],
      );
      return rows[0];
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

/**
 * The rows of one statement as they arrive, in the batches they arrived in: whatever came
 * since the consumer last asked. The consumer runs after each socket read (a promise's
 * continuation), so a batch is about one read's worth of rows. A consumer that stops asking
 * leaves the statement to end on its own; its rows are then dropped with the batch.
 */
async function* arriving<T>(
  run: (onRow: (row: T) => void) => Promise<unknown>,
): AsyncGenerator<T[], void, undefined> {
  let batch: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  const awake = () => {
    wake?.();
    wake = undefined;
  };
  run((row) => {
    batch.push(row);
    awake();
  }).then(
    () => {
      ended = true;
      awake();
    },
    (error: unknown) => {
      failure = { error };
      awake();
    },
  );
  for (;;) {
    if (batch.length > 0) {
      const rows = batch;
      batch = [];
      yield rows;
    } else if (failure) {
      throw failure.error;
    } else if (ended) {
      return;
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}
