import { Inject, Injectable } from '@nestjs/common';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SearchDatabase } from '../database/search-database';
import { auditRecordJsonSql } from './audit-record';
import { ExportFormat } from './audit-export';
import { ExportLineRow, exportBatchSql } from './audit-export.queries';
import { AuditFilterSql, AuditKey, keysetBatchSql } from './audit-stream.queries';

/** A record as exports and tails read it: its key and its API JSON (as search renders it). */
export interface StreamedRecordRow {
  id: string;
  created: Date;
  resource: string;
}

/**
 * Long reads of the trail (export, live tail): keyset batches on the search connections, so
 * each batch is one short statement under the search statement timeout and nothing holds a
 * connection between batches.
 */
@Injectable()
export class AuditStreamRepository {
  private readonly json: string;

  constructor(
    private readonly db: SearchDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.json = auditRecordJsonSql(config.publicBaseUrl);
  }

  batch(
    tenant: string,
    filter: AuditFilterSql,
    q: { after?: AuditKey; from?: Date; until?: Date; limit: number },
  ): Promise<StreamedRecordRow[]> {
    const { sql, params } = keysetBatchSql(this.json, filter, q);
    return this.db.query<StreamedRecordRow>(sql, [tenant, ...params], { prepare: true });
  }

  /** A keyset batch of an export, its lines rendered by the statement, as raw text rows. */
  exportBatch(
    tenant: string,
    filter: AuditFilterSql,
    format: ExportFormat,
    q: { after?: AuditKey; until?: Date; limit: number },
  ): Promise<ExportLineRow[]> {
    const { sql, params } = exportBatchSql(this.json, format, filter, q);
    return this.db.query<ExportLineRow>(sql, [tenant, ...params], { prepare: true, raw: true });
  }

  /** The key of one record of the tenant, for resuming after it. */
  async keyOf(tenant: string, id: string): Promise<AuditKey | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<AuditKey>(
      'SELECT r.id, r.created FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2',
      [tenant, id],
    );
    return rows[0];
  }

  /** The database clock: exports end here, tails start here. */
  async now(): Promise<Date> {
    const [{ now }] = await this.db.query<{ now: Date }>('SELECT now() AS now');
    return now;
  }
}
