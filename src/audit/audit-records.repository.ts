import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { isUuid } from '../users/users.repository';
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

  async page(
    tenant: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: AuditRecordRow[] }> {
    const [{ total }]: { total: number }[] = await this.txHost.tx.query(
      'SELECT count(*)::int AS total FROM audit_records r WHERE r.tenant_id = $1',
      [tenant],
    );
    if (limit === 0) return { total, rows: [] };
    const rows: AuditRecordRow[] = await this.txHost.tx.query(
      `SELECT ${AUDIT_COLUMNS} FROM audit_records r WHERE r.tenant_id = $1
       ORDER BY r.created, r.id OFFSET $2 LIMIT $3`,
      [tenant, offset, limit],
    );
    return { total, rows };
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
