import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { SearchDatabase } from '../database/search-database';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import {
  AUDIT_RECORD_COLUMNS,
  AuditRecordJsonRow,
  auditRecordJsonSql,
  AuditRecordRow,
} from './audit-record';
import { INSERT_RECORD, INSERT_RECORDS, WRITTEN_AUDIT_COLUMNS } from './audit-records.queries';

/** The stored columns of one record (`created` and `hash` come from the insert trigger). */
export type NewAuditRecord = Omit<AuditRecordRow, 'created' | 'hash'>;

/**
 * The audit trail's table. Writes of changes run in the caller's transaction (`Database`);
 * reads, and the records of reads, run on the search connections, so every read stops at the
 * search statement timeout. Reads are always scoped to one tenant; records come back as their
 * API JSON, rendered by the statement (auditRecordJsonSql).
 */
@Injectable()
export class AuditRecordsRepository {
  /** What an audit search reads: each record's id and its JSON. */
  readonly table: SearchTable;
  private readonly findByIdSql: string;

  constructor(
    private readonly db: SearchDatabase,
    private readonly tx: Database,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.table = {
      from: 'audit_records r',
      tenantColumn: 'r.tenant_id',
      columns: AUDIT_RECORD_COLUMNS.map((column) => `r.${column}`).join(', '),
      // Rendered for the page's rows only, not for the rows an OFFSET skips.
      pageColumns: `page.id, ${auditRecordJsonSql(config.publicBaseUrl, 'page')} AS resource`,
    };
    this.findByIdSql = `SELECT r.id, ${auditRecordJsonSql(config.publicBaseUrl)} AS resource
      FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2`;
  }

  /** One record, in the current transaction (or on its own outside one). */
  async insert(row: NewAuditRecord): Promise<void> {
    await this.tx.query(
      INSERT_RECORD,
      WRITTEN_AUDIT_COLUMNS.map((column) => param(row, column)),
    );
  }

  /** Many records in one statement, in the current transaction. */
  async insertMany(rows: NewAuditRecord[]): Promise<void> {
    await this.tx.query(INSERT_RECORDS, [JSON.stringify(rows)]);
  }

  /**
   * Records of reads of the trail, on the search connections (no transaction to join),
   * prepared: one plan per connection instead of one per batch, whatever the batch size.
   */
  async insertReads(rows: NewAuditRecord[]): Promise<void> {
    await this.db.query(INSERT_RECORDS, [JSON.stringify(rows)], { prepare: true, writes: true });
  }

  async findById(tenant: string, id: string): Promise<AuditRecordJsonRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<AuditRecordJsonRow>(this.findByIdSql, [tenant, id], {
      prepare: true,
    });
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

function param(row: NewAuditRecord, column: keyof NewAuditRecord): unknown {
  const value = row[column];
  // jsonb columns travel as JSON text.
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

export type SearchableAuditRow = AuditRecordJsonRow & { sort_key: string | null };
