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
  created: string;
  hash: string;
  meta: { resourceType: 'AuditRecord'; created: string; location: string };
}

export function toAuditRecordResource(row: AuditRecordRow, baseUrl: string): AuditRecordResource {
  const created = row.created.toISOString();
  const resource: AuditRecordResource = {
    schemas: [AUDIT_RECORD_SCHEMA],
    id: row.id,
    tenantId: row.tenant_id,
    requestId: row.request_id,
    service: { id: row.service_id, ...(row.service_host ? { host: row.service_host } : {}) },
    action: { actionName: row.action_name, actionParameters: row.action_parameters },
    result: row.result,
    message: row.message,
    created,
    hash: row.hash.trim(),
    meta: {
      resourceType: 'AuditRecord',
      created,
      location: `${baseUrl}/${row.tenant_id}/v2/AuditRecords/${row.id}`,
    },
  };
  if (row.correlation_id !== null) resource.correlationId = row.correlation_id;
  if (row.coi !== null) resource.coi = row.coi;
  if (row.return_value) resource.return_value = row.return_value;
  if (row.acting_user_id !== null) {
    resource.actingUserId = { id: row.acting_user_id };
    if (row.acting_user_immutable_id)
      resource.actingUserId.immutableId = row.acting_user_immutable_id;
    if (row.acting_session_id) {
      resource.actingUserId.session = { id: row.acting_session_id };
      if (row.acting_auth_method) {
        resource.actingUserId.session.authenticationMethod = row.acting_auth_method;
      }
    }
  }
  if (row.target_user_id !== null || row.target_user_immutable_id !== null) {
    resource.targetUserId = {};
    if (row.target_user_id !== null) resource.targetUserId.id = row.target_user_id;
    if (row.target_user_immutable_id !== null) {
      resource.targetUserId.immutableId = row.target_user_immutable_id;
    }
  }
  return resource;
}
