import { Injectable } from '@nestjs/common';
import { isUuid } from '../users/users.repository';
import { SearchTable } from '../search/search.service';
import { AuditRecordRow } from './audit-record';
import { SearchDatabase } from '../search/search-database';

export const AUDIT_COLUMNS = `r.id, r.tenant_id, r.correlation_id, r.request_id, r.coi, r.service_id,
  r.service_host, r.action_name, r.action_parameters, r.result, r.message, r.return_value,
  r.acting_user_id, r.acting_user_immutable_id, r.acting_session_id, r.acting_auth_method,
  r.target_user_id, r.target_user_immutable_id, r.created, r.hash`;

export const AUDIT_TABLE: SearchTable = {
  from: 'audit_records r',
  tenantColumn: 'r.tenant_id',
  columns: AUDIT_COLUMNS,
};

/**
 * Reads of the audit trail; always scoped to one tenant, and on the search connections, so
 * every read stops at the search statement timeout.
 */
@Injectable()
export class AuditRecordsRepository {
  constructor(private readonly db: SearchDatabase) {}

  async findById(tenant: string, id: string): Promise<AuditRecordRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<AuditRecordRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2`,
      [tenant, id],
      { prepare: true },
    );
    return rows[0];
  }

  /** Whether any record matching the filter fails its hash check (Events' `tainted`). */
  async anyTainted(tenant: string, q: { filter?: string; params: unknown[] }): Promise<boolean> {
    const [{ tainted }] = await this.db.query<{ tainted: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM audit_records r
         WHERE r.tenant_id = $1 ${q.filter ? `AND (${q.filter})` : ''}
           AND r.hash <> audit_record_hash(r)) AS tainted`,
      [tenant, ...q.params],
    );
    return tainted;
  }

  /** Records whose stored hash no longer matches their content. */
  async taintedIds(tenant: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      `SELECT r.id FROM audit_records r
       WHERE r.tenant_id = $1 AND r.id = ANY($2::uuid[]) AND r.hash <> audit_record_hash(r)`,
      [tenant, ids],
    );
    return rows.map((r) => r.id);
  }
}

export type SearchableAuditRow = AuditRecordRow & { sort_key: string | null };
