import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a record's change moved (`changes`), who called (`client`: address and user agent)
 * and the W3C trace it belongs to (`trace_id`), each covered by the record hash.
 *
 * The hash gains these three as an addition to the hashed object, each key only when its
 * column is not null: a record written before this migration hashes exactly as it did, so
 * no existing record turns tainted.
 */
export class AddAuditChangesClientTrace1765000000400 implements MigrationInterface {
  name = 'AddAuditChangesClientTrace1765000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE audit_records ADD COLUMN changes jsonb, ADD COLUMN client jsonb, ADD COLUMN trace_id text',
    );
    await q.query(
      `CREATE INDEX audit_records_tenant_trace ON audit_records (tenant_id, trace_id) WHERE trace_id IS NOT NULL`,
    );
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_record_hash(r audit_records) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to((jsonb_build_object(
          'id', r.id, 'tenantId', r.tenant_id, 'correlationId', r.correlation_id,
          'requestId', r.request_id, 'coi', r.coi,
          'service', jsonb_build_object('id', r.service_id, 'host', r.service_host),
          'action', jsonb_build_object('actionName', r.action_name, 'actionParameters', r.action_parameters),
          'result', r.result, 'message', r.message, 'returnValue', r.return_value,
          'actingUserId', jsonb_build_object('id', r.acting_user_id, 'immutableId', r.acting_user_immutable_id,
                            'sessionId', r.acting_session_id, 'authenticationMethod', r.acting_auth_method),
          'targetUserId', jsonb_build_object('id', r.target_user_id, 'immutableId', r.target_user_immutable_id),
          'created', to_char(r.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        )
        -- Added by this migration: present only when set, so older records hash as before.
        || CASE WHEN r.changes IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('changes', r.changes) END
        || CASE WHEN r.client IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('client', r.client) END
        || CASE WHEN r.trace_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('traceId', r.trace_id) END
        )::text, 'UTF8')), 'hex')
      $$`);
  }

  async down(): Promise<void> {
    throw new Error('The audit trail is append-only; this migration is not reversible.');
  }
}
