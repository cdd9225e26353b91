import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { isUuid } from '../users/users.repository';
import { CountQuery, PageQuery } from '../search/search.service';
import { AuditRecordRow } from './audit-record';

export const AUDIT_COLUMNS = `r.id, r.tenant_id, r.correlation_id, r.request_id, r.coi, r.service_id,
  r.service_host, r.action_name, r.action_parameters, r.result, r.message, r.return_value,
  r.acting_user_id, r.acting_user_immutable_id, r.acting_session_id, r.acting_auth_method,
  r.target_user_id, r.target_user_immutable_id, r.created, r.hash`;

/** Reads of the audit trail; always scoped to one tenant. */
@Injectable()
export class AuditRecordsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async findById(tenant: string, id: string): Promise<AuditRecordRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: AuditRecordRow[] = await this.txHost.tx.query(
      `SELECT ${AUDIT_COLUMNS} FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  /** A page of a search; see PageQuery for how the SQL fragments and parameters fit. */
  async page(tenant: string, q: PageQuery): Promise<SearchableAuditRow[]> {
    const params = [tenant, ...q.params];
    return this.txHost.tx.query(
      `SELECT ${AUDIT_COLUMNS}, ${q.keyColumn} AS sort_key FROM audit_records r
       WHERE ${where(q.filter, q.after)}
       ORDER BY ${q.orderBy} OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, q.offset, q.limit],
    );
  }

  async count(tenant: string, q: CountQuery): Promise<number> {
    const [{ total }]: { total: number }[] = await this.txHost.tx.query(
      `SELECT count(*)::int AS total FROM audit_records r WHERE ${where(q.filter)}`,
      [tenant, ...q.params],
    );
    return total;
  }

  /** Whether any record matching the filter fails its hash check (Events' `tainted`). */
  async anyTainted(tenant: string, q: CountQuery): Promise<boolean> {
    const [{ tainted }]: { tainted: boolean }[] = await this.txHost.tx.query(
      `SELECT EXISTS (SELECT 1 FROM audit_records r
         WHERE ${where(q.filter)} AND r.hash <> audit_record_hash(r)) AS tainted`,
      [tenant, ...q.params],
    );
    return tainted;
  }

  /** Records whose stored hash no longer matches their content. */
  async taintedIds(tenant: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.txHost.tx.query(
      `SELECT r.id FROM audit_records r
       WHERE r.tenant_id = $1 AND r.id = ANY($2::uuid[]) AND r.hash <> audit_record_hash(r)`,
      [tenant, ids],
    );
    return rows.map((r) => r.id);
  }
}

export type SearchableAuditRow = AuditRecordRow & { sort_key: string | null };

/** The tenant condition comes first and the filter is one parenthesised term: no escape. */
function where(filter?: string, after?: string): string {
  return ['r.tenant_id = $1', filter && `(${filter})`, after].filter(Boolean).join(' AND ');
}
