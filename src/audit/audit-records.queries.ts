import { jsonbArrayParam } from '../database/json-array-param';
import { AUDIT_RECORD_COLUMNS } from './audit-record';

/**
 * The columns a writer supplies, in the order of INSERT's parameters: every stored column
 * (the service computes `created`, `hash` and the MAC) but `xact_id`, which the insert
 * trigger takes from the writing transaction.
 */
const WRITTEN = [...AUDIT_RECORD_COLUMNS, 'mac', 'mac_key_id'] as const;
const COLUMNS = WRITTEN.join(', ');

/** One record. */
export const INSERT_RECORD = `
  INSERT INTO audit_records (${COLUMNS})
  VALUES (${WRITTEN.map((_, i) => `$${i + 1}`).join(',')})`;

/**
 * One record's INSERT with its parameters numbered from `first`: for a statement that also
 * writes the change the record is of (one statement, so both are stored or neither).
 */
export function insertRecordFrom(first: number): string {
  return `INSERT INTO audit_records (${COLUMNS})
    VALUES (${WRITTEN.map((_, i) => `$${i + first}`).join(',')})`;
}

/** The SQL type of each written column, as a statement reads it from its parameters. */
const TYPES: Record<(typeof WRITTEN)[number], string> = {
  id: 'uuid',
  tenant_id: 'text',
  correlation_id: 'text',
  request_id: 'uuid',
  coi: 'text',
  service_id: 'text',
  service_host: 'text',
  action_name: 'text',
  action_parameters: 'jsonb',
  result: 'text',
  message: 'text',
  return_value: 'jsonb',
  acting_user_id: 'text',
  acting_user_immutable_id: 'text',
  acting_session_id: 'text',
  acting_auth_method: 'text',
  target_user_id: 'text',
  target_user_immutable_id: 'text',
  changes: 'jsonb',
  client: 'jsonb',
  trace_id: 'text',
  created: 'timestamptz',
  hash: 'text',
  mac: 'text',
  mac_key_id: 'text',
};

/** Many records in one statement, from a JSON array of rows. */
export const INSERT_RECORDS = `
  INSERT INTO audit_records (${COLUMNS})
  SELECT ${COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS x(
    ${WRITTEN.map((column) => `${column} ${TYPES[column]}`).join(', ')})`;

/** The written columns of type jsonb. */
export const JSONB_AUDIT_COLUMNS = WRITTEN.filter((column) => TYPES[column] === 'jsonb');

/**
 * Many records' INSERT for a statement that also writes the changes they are of, one
 * parameter per column numbered from `first`: an array of the column's type, or for a jsonb
 * column one JSON array of its values (jsonbArrayParam; `null` for SQL NULL, none of the
 * values being a JSON null), built from the text the record's hash rendered. A column whose
 * value every record shares (`shared[i]`, in WRITTEN order: the tenant, correlation id, COI,
 * actor, client… of one batch) is one value instead, read once by the statement.
 */
export function insertRecordArraysFrom(first: number, shared: readonly boolean[] = []): string {
  const varying: string[] = [];
  const arrays: string[] = [];
  const values = WRITTEN.map((column, i) => {
    const p = `$${i + first}`;
    const jsonb = TYPES[column] === 'jsonb';
    if (shared[i]) return jsonb ? `NULLIF(${p}::text, 'null')::jsonb` : `${p}::${TYPES[column]}`;
    varying.push(column);
    arrays.push(jsonb ? jsonbArrayParam(p) : `${p}::${TYPES[column]}[]`);
    return `r.${column}`;
  });
  return `INSERT INTO audit_records (${COLUMNS})
    SELECT ${values.join(', ')} FROM unnest(${arrays.join(', ')}) AS r(${varying.join(', ')})`;
}

/**
 * Many records, skipping any whose id is already stored: a backlogged failure record whose
 * first insert timed out may still have reached the server and been committed. Looked up
 * by the key, (tenant_id, id).
 */
export const INSERT_ABSENT_RECORDS = `${INSERT_RECORDS}
  WHERE NOT EXISTS (
    SELECT 1 FROM audit_records a WHERE a.tenant_id = x.tenant_id AND a.id = x.id)`;

export { WRITTEN as WRITTEN_AUDIT_COLUMNS };
