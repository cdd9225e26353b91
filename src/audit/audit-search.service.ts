import { Inject, Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import { AuditAction } from './audit-actions';
import { AuditRecordJsonRow } from './audit-record';
import { AuditRecordsRepository, SearchableAuditRow } from './audit-records.repository';
import { AuditService } from './audit.service';
import { AuditIntegrityService } from './audit-integrity.service';
import {
  AUDIT_DEFAULT_SORT,
  AUDIT_FILTER_SCHEMA,
  AUDIT_NOT_NULL_SQL,
  EVENTS_FILTER_SCHEMA,
} from './audit.filter-schema';

export interface EventsPage extends SearchPage<SearchableAuditRow> {
  /** Whether any matched record (not only this page's) fails its hash check. */
  tainted: boolean;
}

/**
 * Reads of the audit trail, on the search connections. When AUDIT_LOG_ACCESS is on (the
 * default) the read itself is recorded: whoever searched or read the trail, with what filter,
 * and how much they got back. The answer waits for that record to be committed, and a read
 * whose record cannot be written fails 503, as an unrecordable change does.
 */
@Injectable()
export class AuditSearchService {
  private readonly auditRecords: SearchSpec;
  private readonly events: SearchSpec;

  constructor(
    private readonly records: AuditRecordsRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    private readonly integrity: AuditIntegrityService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.auditRecords = {
      resource: 'AuditRecords',
      schema: AUDIT_FILTER_SCHEMA,
      defaultSort: AUDIT_DEFAULT_SORT,
      id: 'r.id',
      notNull: AUDIT_NOT_NULL_SQL,
      table: records.table,
    };
    this.events = { ...this.auditRecords, resource: 'Events', schema: EVENTS_FILTER_SCHEMA };
  }

  searchRecords(tenant: string, request: SearchRequest): Promise<SearchPage<SearchableAuditRow>> {
    return this.search.run(async () => {
      const page = await this.search.page<SearchableAuditRow>(tenant, this.auditRecords, request);
      await this.recordAccess(
        'searchAuditRecords',
        searchParameters('AuditRecords', request, page),
      );
      return page;
    });
  }

  searchEvents(tenant: string, request: SearchRequest): Promise<EventsPage> {
    return this.search.run(async () => {
      const page = await this.search.page<SearchableAuditRow>(tenant, this.events, request);
      const tainted =
        page.total !== 0 &&
        (await this.integrity.anyTainted(tenant, {
          filter: page.filter?.sql,
          params: page.filter?.params ?? [],
        }));
      await this.recordAccess('searchAuditRecords', searchParameters('Events', request, page));
      return { ...page, tainted };
    });
  }

  readRecord(tenant: string, id: string): Promise<AuditRecordJsonRow> {
    return this.search.run(async () => {
      const row = await this.records.findById(tenant, id);
      if (!row) throw scimError(404, undefined, `AuditRecord ${id.slice(0, 64)} not found`);
      await this.recordAccess('readAuditRecord', { recordId: row.id });
      return row;
    });
  }

  private async recordAccess(
    action: AuditAction,
    parameters: Record<string, string | number | undefined>,
  ): Promise<void> {
    if (this.config.auditLogAccess) await this.audit.record(action, { parameters });
  }
}

function searchParameters(
  endpoint: string,
  request: SearchRequest,
  page: SearchPage<unknown>,
): Record<string, string | number | undefined> {
  return {
    endpoint,
    filter: request.filter,
    sortBy: request.sortBy,
    sortOrder: request.sortOrder === 'ASC' ? 'ascending' : 'descending',
    paging: page.byCursor ? 'cursor' : 'index',
    startIndex: page.byCursor ? undefined : request.startIndex,
    count: request.count,
    totalResults: page.total,
    itemsPerPage: page.rows.length,
  };
}
