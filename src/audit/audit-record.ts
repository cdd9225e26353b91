import { RequestClient } from '../context/request-context';
import { AttributeChange } from '../scim/scim-changes';
import { AuditResult } from './audit-actions';

export const AUDIT_RECORD_SCHEMA = 'urn:hid:scim:api:idp:2.0:AuditRecord';

/** A row of `audit_records` as pg returns it. */
export interface AuditRecordRow {
  id: string;
  tenant_id: string;
  correlation_id: string | null;
  request_id: string;
  coi: string | null;
  service_id: string;
  service_host: string | null;
  action_name: string;
  action_parameters: Record<string, string>;
  result: AuditResult;
  message: string | null;
  return_value: { status: string; error: string } | null;
  acting_user_id: string | null;
  acting_user_immutable_id: string | null;
  acting_session_id: string | null;
  acting_auth_method: string | null;
  target_user_id: string | null;
  target_user_immutable_id: string | null;
  created: Date;
  hash: string;
  /** What the change moved; null on records that are not of a change (reads, failures). */
  changes: AttributeChange[] | null;
  client: RequestClient | null;
  trace_id: string | null;
}

/** The API shape of a record (API.md §4). Absent values are left out, never invented. */
export interface AuditRecordResource {
  schemas: string[];
  id: string;
  tenantId: string;
  correlationId?: string;
  requestId: string;
  coi?: string;
  service: { id: string; host?: string };
  action: { actionName: string; actionParameters: Record<string, string> };
  result: AuditResult;
  message: string | null;
  return_value?: { status: string; error: string };
  actingUserId?: {
    id: string;
    immutableId?: string;
    session?: { id: string; authenticationMethod?: string };
  };
  targetUserId?: { id?: string; immutableId?: string };
  changes?: AttributeChange[];
  /** Present, and true, when a change changed nothing (`changes` is then empty). */
  unchanged?: true;
  client?: RequestClient;
  traceId?: string;
  created: string;
  hash: string;
  meta: { resourceType: 'AuditRecord'; created: string; location: string };
}

/** A stored record as the search and read statements return it: its API JSON, rendered by SQL. */
export interface AuditRecordJsonRow {
  id: string;
  /** The record's API representation (AuditRecordResource) as JSON text. */
  resource: string;
}

/** A text value as a JSON string; PostgreSQL escapes quotes, backslashes and control characters. */
const str = (sql: string) => `to_json(${sql})::text`;
/** `,"key":<value>` when the SQL value is not null, else nothing. */
const member = (key: string, sql: string, value = str(sql)) =>
  `CASE WHEN ${sql} IS NULL THEN '' ELSE ',"${key}":' || ${value} END`;
const nonEmpty = (sql: string) => `nullif(${sql}, '')`;
/** A string as an SQL literal (standard_conforming_strings: only quotes need doubling). */
const sqlLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The stored columns of a record, in table order: what the rendering reads and writers supply. */
export const AUDIT_RECORD_COLUMNS = [
  'id',
  'tenant_id',
  'correlation_id',
  'request_id',
  'coi',
  'service_id',
  'service_host',
  'action_name',
  'action_parameters',
  'result',
  'message',
  'return_value',
  'acting_user_id',
  'acting_user_immutable_id',
  'acting_session_id',
  'acting_auth_method',
  'target_user_id',
  'target_user_immutable_id',
  'created',
  'hash',
  'changes',
  'client',
  'trace_id',
] as const;

/**
 * The SQL expression that renders a record as its API JSON text (API.md §4), over the
 * columns of `audit_records` (or of a subquery with the same column names) under `alias`:
 * absent values are left out, never invented; `message` is always present.
 *
 * Rendering in the statement means a page of records reaches the service as one text value
 * per record, which it splices into the ListResponse unparsed: measured on 100-record pages,
 * parsing twenty columns per row into objects and serialising them again was most of the
 * service's CPU per search. Every text that a caller can influence goes through `to_json`,
 * so no value can break out of its string; uuids, timestamps and the hex hash cannot.
 */
export function auditRecordJsonSql(publicBaseUrl: string, alias = 'r'): string {
  const c = (column: (typeof AUDIT_RECORD_COLUMNS)[number]) => `${alias}.${column}`;
  const created = `to_char(${c('created')} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const location = `${sqlLiteral(`${publicBaseUrl}/`)} || ${c('tenant_id')} || '/v2/AuditRecords/' || ${c('id')}`;
  const session =
    `CASE WHEN ${nonEmpty(c('acting_session_id'))} IS NULL THEN '' ELSE ` +
    `',"session":{"id":' || ${str(c('acting_session_id'))} || ` +
    `${member('authenticationMethod', nonEmpty(c('acting_auth_method')))} || '}' END`;
  const actingUser =
    `CASE WHEN ${c('acting_user_id')} IS NULL THEN '' ELSE ` +
    `',"actingUserId":{"id":' || ${str(c('acting_user_id'))} || ` +
    `${member('immutableId', nonEmpty(c('acting_user_immutable_id')))} || ${session} || '}' END`;
  const targetUser =
    `CASE WHEN ${c('target_user_id')} IS NULL AND ${c('target_user_immutable_id')} IS NULL ` +
    `THEN '' ELSE ',"targetUserId":{' || concat_ws(',', '"id":' || ${str(c('target_user_id'))}, ` +
    `'"immutableId":' || ${str(c('target_user_immutable_id'))}) || '}' END`;
  return [
    `'{"schemas":["${AUDIT_RECORD_SCHEMA}"],"id":"' || ${c('id')} || '","tenantId":' || ${str(c('tenant_id'))}`,
    member('correlationId', c('correlation_id')),
    `',"requestId":"' || ${c('request_id')} || '"'`,
    member('coi', c('coi')),
    `',"service":{"id":' || ${str(c('service_id'))} || ${member('host', nonEmpty(c('service_host')))} || '}'`,
    `',"action":{"actionName":' || ${str(c('action_name'))} || ',"actionParameters":' || ${c('action_parameters')}::text || '}'`,
    `',"result":' || ${str(c('result'))} || ',"message":' || coalesce(${str(c('message'))}, 'null')`,
    member('return_value', c('return_value'), `${c('return_value')}::text`),
    actingUser,
    targetUser,
    `CASE WHEN ${c('changes')} IS NULL THEN '' WHEN ${c('changes')} = '[]'::jsonb ` +
      `THEN ',"changes":[],"unchanged":true' ELSE ',"changes":' || ${c('changes')}::text END`,
    member('client', c('client'), `${c('client')}::text`),
    member('traceId', c('trace_id')),
    `',"created":"' || ${created} || '","hash":"' || rtrim(${c('hash')})`,
    `'","meta":{"resourceType":"AuditRecord","created":"' || ${created} || '","location":' || ${str(location)} || '}}'`,
  ].join('\n  || ');
}
