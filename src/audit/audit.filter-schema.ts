import { FilterSchema, ScalarAttribute } from '../scim/filter';
import { AUDIT_RECORD_SCHEMA } from './audit-record';

const exact = (sql: string): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact: true,
  sql,
});
const created: ScalarAttribute = {
  kind: 'scalar',
  type: 'dateTime',
  caseExact: true,
  sql: 'r.created',
};

/**
 * Searchable AuditRecord attributes (API.md §6) over `audit_records r`. Ids, names and
 * parameter values compare case-exactly; `message` case-insensitively.
 *
 * `action.actionParameters.COI` is the typed, indexed `coi` column (the audit service writes
 * both from the same value); any other `action.actionParameters.<KEY>` reads the jsonb map,
 * with the key as written.
 */
export const AUDIT_FILTER_SCHEMA: FilterSchema = {
  schema: AUDIT_RECORD_SCHEMA,
  attributes: {
    id: exact('r.id::text'),
    correlationid: exact('r.correlation_id'),
    // Matches the expression index audit_records_tenant_request_id.
    requestid: exact('r.request_id::text'),
    coi: exact('r.coi'),
    'action.actionname': exact('r.action_name'),
    'action.actionparameters': { kind: 'map', jsonb: 'r.action_parameters', caseExact: true },
    'action.actionparameters.coi': exact('r.coi'),
    result: exact('r.result'),
    message: { kind: 'scalar', type: 'string', caseExact: false, sql: 'r.message' },
    'service.id': exact('r.service_id'),
    'actinguserid.id': exact('r.acting_user_id'),
    'actinguserid.immutableid': exact('r.acting_user_immutable_id'),
    'actinguserid.session.id': exact('r.acting_session_id'),
    'targetuserid.id': exact('r.target_user_id'),
    'targetuserid.immutableid': exact('r.target_user_immutable_id'),
    // `before`/`after` are strings (a non-string value as its JSON text), compared as text
    // (`->>`): `after eq "false"` finds them, and a boolean false of a record written before.
    changes: {
      kind: 'multi',
      jsonb: 'r.changes',
      sub: {
        attribute: { name: 'attribute', type: 'string', caseExact: true },
        op: { name: 'op', type: 'string', caseExact: true },
        before: { name: 'before', type: 'string', caseExact: true },
        after: { name: 'after', type: 'string', caseExact: true },
      },
    },
    'client.ipaddress': exact("(r.client ->> 'ipAddress')"),
    'client.useragent': {
      kind: 'scalar',
      type: 'string',
      caseExact: false,
      sql: "(r.client ->> 'userAgent')",
    },
    traceid: exact('r.trace_id'),
    created,
    'meta.created': created,
  },
};

/**
 * The Events search (HID's backward-compatible endpoint): there `correlationId` names the
 * operation, so it matches the record's COI. Everything else is as in AuditRecords.
 */
export const EVENTS_FILTER_SCHEMA: FilterSchema = {
  attributes: { ...AUDIT_FILTER_SCHEMA.attributes, correlationid: exact('r.coi') },
};

/** Sort keys that are never NULL, so keyset paging can use a plain row comparison. */
export const AUDIT_NOT_NULL_SQL = new Set([
  'r.created',
  'r.id::text COLLATE "C"',
  'r.request_id::text COLLATE "C"',
  'r.action_name COLLATE "C"',
  'r.result COLLATE "C"',
  'r.service_id COLLATE "C"',
]);

/** The default order (API.md §6): `created` ascending, then `id`. */
export const AUDIT_DEFAULT_SORT = { sql: 'r.created', type: 'dateTime' as const };
