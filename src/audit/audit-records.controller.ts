import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { AuditedAs } from '../common/audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchBody, readSearchRequest, SearchRequest } from '../scim/scim-search-request';
import { SearchQueryParameters, SearchRequestDto } from '../search/search-request.dto';
import { searchListResponse } from '../search/search-response';
import { toAuditRecordResource } from './audit-record';
import { AuditSearchService } from './audit-search.service';

type Json = Record<string, unknown>;

const RECORD = { $ref: '#/components/schemas/AuditRecord' };
const LIST = {
  description: 'SCIM ListResponse; nextCursor instead of startIndex when paging by cursor',
  schema: {
    type: 'object',
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      totalResults: { type: 'integer' },
      startIndex: { type: 'integer' },
      itemsPerPage: { type: 'integer' },
      nextCursor: { type: 'string' },
      Resources: { type: 'array', items: RECORD },
    },
  },
};

/**
 * The audit trail (API.md §6): search by GET or POST .search, read one record. Every route
 * is an access to the trail, recorded (successes and failures) when AUDIT_LOG_ACCESS is on.
 */
@ApiTags('Audit')
@Controller(':tenant/v2/AuditRecords')
export class AuditRecordsController {
  constructor(
    private readonly audit: AuditSearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('audit:read')
  @AuditedAs('searchAuditRecords')
  @ApiOperation({
    summary: 'Search audit records with query parameters (RFC 7644 §3.4.2, RFC 9865 cursors)',
    operationId: 'listAuditRecords',
  })
  @SearchQueryParameters()
  @ApiOkResponse(LIST)
  async listAuditRecords(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    return this.search(tenant, readSearchRequest(query, { cursor: true }));
  }

  @Post('.search')
  @HttpCode(200)
  @RequireScopes('audit:read')
  @AuditedAs('searchAuditRecords')
  @ApiOperation({
    summary: 'Search audit records with a SearchRequest (RFC 7644 §3.4.3, RFC 9865 cursors)',
    operationId: 'searchAuditRecords',
  })
  @ApiBody({ type: SearchRequestDto })
  @ApiOkResponse(LIST)
  async searchAuditRecords(@Param('tenant') tenant: string, @Body() body: unknown): Promise<Json> {
    return this.search(tenant, readSearchRequest(readSearchBody(body), { cursor: true }));
  }

  @Get(':id')
  @RequireScopes('audit:read')
  @AuditedAs('readAuditRecord')
  @ApiOperation({ summary: 'Read one audit record', operationId: 'readAuditRecord' })
  @ApiOkResponse({ description: 'The record', schema: RECORD })
  async readAuditRecord(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
  ): Promise<Json> {
    const row = await this.audit.readRecord(tenant, id);
    return projectAttributes(
      toAuditRecordResource(row, this.config.publicBaseUrl) as unknown as Json,
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }

  private async search(tenant: string, request: SearchRequest): Promise<Json> {
    const page = await this.audit.searchRecords(tenant, request);
    const resources = page.rows.map((row) =>
      projectAttributes(
        toAuditRecordResource(row, this.config.publicBaseUrl) as unknown as Json,
        request.attributes,
        request.excludedAttributes,
      ),
    );
    return searchListResponse(this.config.scimResourcesKey, page, resources);
  }
}
