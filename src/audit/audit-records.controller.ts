import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { listResponse, readPaging } from '../scim/scim-paging';
import { AuditRecordResource, toAuditRecordResource } from './audit-record';
import { AuditRecordsRepository } from './audit-records.repository';

type Json = Record<string, unknown>;

@ApiTags('Audit')
@Controller(':tenant/v2/AuditRecords')
export class AuditRecordsController {
  constructor(
    private readonly records: AuditRecordsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('audit:read')
  @ApiOperation({ summary: 'List audit records, oldest first', operationId: 'listAuditRecords' })
  async listAuditRecords(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const paging = readPaging(query.startIndex, query.count);
    const { total, rows } = await this.records.page(tenant, paging.startIndex - 1, paging.count);
    const resources = rows.map((r) => toAuditRecordResource(r, this.config.publicBaseUrl));
    return listResponse(this.config.scimResourcesKey, total, paging.startIndex, resources);
  }

  @Get(':id')
  @RequireScopes('audit:read')
  @ApiOperation({ summary: 'Read one audit record', operationId: 'readAuditRecord' })
  async readAuditRecord(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
  ): Promise<Json | AuditRecordResource> {
    const row = await this.records.findById(tenant, id);
    if (!row) throw scimError(404, undefined, `AuditRecord ${id.slice(0, 64)} not found`);
    const resource = toAuditRecordResource(row, this.config.publicBaseUrl);
    return projectAttributes(
      resource as unknown as Json,
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }
}
