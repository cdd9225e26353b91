import { compileScimFilter, SqlParams } from './scim-filter.compiler';
import { ScimFilterError } from './scim-filter.error';
import { parseScimFilter } from './scim-filter.parser';
import { FilterSchema } from './scim-filter.schema';

/**
 * What the compiler's specs share. The schema is modelled on the audit table, plus a user's
 * emails to exercise multi-valued attributes.
 */
export const schema: FilterSchema = {
  attributes: {
    id: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.id::text' },
    correlationid: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.correlation_id' },
    coi: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.coi' },
    'action.actionname': { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.action_name' },
    'action.actionparameters': { kind: 'map', jsonb: 'r.action_parameters', caseExact: true },
    'action.actionparameters.coi': {
      kind: 'scalar',
      type: 'string',
      caseExact: true,
      sql: 'r.coi',
    },
    result: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.result' },
    message: { kind: 'scalar', type: 'string', caseExact: false, sql: 'r.message' },
    'actinguserid.id': { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.acting_user_id' },
    'actinguserid.session.id': {
      kind: 'scalar',
      type: 'string',
      caseExact: true,
      sql: 'r.acting_session_id',
    },
    created: { kind: 'scalar', type: 'dateTime', caseExact: true, sql: 'r.created' },
    active: { kind: 'scalar', type: 'boolean', caseExact: true, sql: 'r.active' },
    count: { kind: 'scalar', type: 'number', caseExact: true, sql: 'r.count' },
    emails: {
      kind: 'multi',
      jsonb: "u.resource->'emails'",
      sub: {
        value: { name: 'value', type: 'string', caseExact: false },
        type: { name: 'type', type: 'string', caseExact: false },
        primary: { name: 'primary', type: 'boolean', caseExact: true },
      },
    },
  },
};

export const EMAILS =
  "jsonb_array_elements(CASE WHEN jsonb_typeof(u.resource->'emails') = 'array' THEN u.resource->'emails' ELSE '[]'::jsonb END)";

export function compile(text: string, startAt = 1): { sql: string; values: unknown[] } {
  const params = new SqlParams(startAt);
  const sql = compileScimFilter(parseScimFilter(text), schema, params);
  return { sql, values: params.values };
}

export function errorOf(run: () => unknown): ScimFilterError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimFilterError) return e;
    throw e;
  }
  throw new Error('expected a ScimFilterError');
}

export const compileError = (text: string) => errorOf(() => compile(text));
