import { AUDIT_RECORD_COLUMNS } from './audit-record';

/** The columns a writer supplies, in the order of INSERT's parameters. */
const WRITTEN = AUDIT_RECORD_COLUMNS.filter((c) => c !== 'created' && c !== 'hash');
const COLUMNS = WRITTEN.join(', ');

/** One record; `created` and `hash` come from the insert trigger. */
export const INSERT_RECORD = `
  INSERT INTO audit_records (${COLUMNS}, created, hash)
  VALUES (${WRITTEN.map((_, i) => `$${i + 1}`).join(',')}, now(), '')`;

/** Many records in one statement, from a JSON array of rows. */
export const INSERT_RECORDS = `
  INSERT INTO audit_records (${COLUMNS}, created, hash)
  SELECT ${COLUMNS}, now(), '' FROM jsonb_to_recordset($1::jsonb) AS x(
    id uuid, tenant_id text, correlation_id text, request_id uuid, coi text, service_id text,
    service_host text, action_name text, action_parameters jsonb, result text, message text,
    return_value jsonb, acting_user_id text, acting_user_immutable_id text,
    acting_session_id text, acting_auth_method text, target_user_id text,
    target_user_immutable_id text, changes jsonb, client jsonb, trace_id text)`;

export { WRITTEN as WRITTEN_AUDIT_COLUMNS };
