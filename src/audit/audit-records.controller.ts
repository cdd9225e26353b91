import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Public, RequireScopes } from '../common/access.decorators';
import { AuditedAs } from './audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchBody, readSearchRequest, SearchRequest } from '../scim/scim-search-request';
import { SearchQueryParameters, SearchRequestDto } from '../search/search-request.dto';
import { projectedListResponse, searchListJson } from '../search/search-response';
import { SCIM_JSON_CONTENT_TYPE } from '../scim/scim-constants';
import { AuditSearchService } from './audit-search.service';
import { AuditIntegrityService } from './audit-integrity.service';
import { AuditKeysService } from './audit-keys.service';

type Json = Record<string, unknown>;

const VERIFY_REPORT = {
  type: 'object',
  required: ['verified', 'checkedRecords', 'checkedSeals', 'unsealedRecords', 'firstFailure'],
  properties: {
    verified: { type: 'boolean' },
    checkedRecords: { type: 'integer' },
    checkedSeals: { type: 'integer' },
    unsealedRecords: {
      type: 'integer',
      description: 'Records checked on their own, not sealed yet',
    },
    macsChecked: { type: 'boolean' },
    firstFailure: {
      type: 'object',
      nullable: true,
      properties: {
        recordId: { type: 'string' },
        sealId: { type: 'string' },
        reason: { type: 'string' },
      },
    },
  },
};

const RECORD = { $ref: '#/components/schemas/AuditRecord' };
const LIST = {
  description:
    'SCIM ListResponse; nextCursor instead of startIndex when paging by cursor, and no totalResults on cursor pages when SEARCH_CURSOR_TOTAL=omit',
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
 *
 * Records arrive as JSON text rendered by the database (auditRecordJsonSql). Without
 * `attributes`/`excludedAttributes` they are sent as they are, spliced into the response
 * text; with them, each is parsed and projected. Hence the explicit content type: a string
 * answer would otherwise go out as text/plain.
 */
@ApiTags('Audit')
@Controller(':tenant/v2/AuditRecords')
export class AuditRecordsController {
  constructor(
    private readonly audit: AuditSearchService,
    private readonly integrity: AuditIntegrityService,
    private readonly keys: AuditKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('.verify')
  @RequireScopes('audit:read')
  @AuditedAs('verifyAuditRecords')
  @ApiOperation({
    summary:
      "Verify the tenant's trail: every record's hash and MAC, every seal's records, root, chain link and signature",
    operationId: 'verifyAuditRecords',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'Check seals sealed from this instant (ISO 8601)',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'Check seals sealed before this instant; unsealed records are then left out',
  })
  @ApiOkResponse({ description: 'The verdict and the first failure found', schema: VERIFY_REPORT })
  @ApiTooManyRequestsResponse({
    description:
      "A verification of another range of this tenant's trail is running (a call for the same range shares it); retry after `Retry-After` seconds",
  })
  async verifyAuditRecords(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const report = await this.integrity.verify(tenant, query.from, query.to);
    return { ...report };
  }

  @Get('.sealing-keys')
  @Public()
  @ApiOperation({
    summary: 'The public keys that verify the seals (JWKS): all an offline verifier needs',
    operationId: 'getAuditSealingKeys',
  })
  @ApiOkResponse({ description: 'JWKS of Ed25519 keys', schema: { type: 'object' } })
  // The tenant is checked by the request guard (404 for an unknown one); the keys are the service's.
  getAuditSealingKeys(@Param('tenant') _tenant: string): Json {
    return this.keys.publicJwks();
  }

  @Get()
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('audit:read')
  @AuditedAs('searchAuditRecords')
  @ApiOperation({
    summary: 'Search audit records with query parameters (RFC 7644 §3.4.2, RFC 9865 cursors)',
    operationId: 'listAuditRecords',
  })
  @SearchQueryParameters()
  @ApiOkResponse(LIST)
  async listAuditRecords(
    @Param('tenant') tenant: string,
    @Query() query: Json,
  ): Promise<Json | string> {
    return this.search(tenant, readSearchRequest(query, { cursor: true }));
  }

  @Post('.search')
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @HttpCode(200)
  @RequireScopes('audit:read')
  @AuditedAs('searchAuditRecords')
  @ApiOperation({
    summary: 'Search audit records with a SearchRequest (RFC 7644 §3.4.3, RFC 9865 cursors)',
    operationId: 'searchAuditRecords',
  })
  @ApiBody({ type: SearchRequestDto })
  @ApiOkResponse(LIST)
  async searchAuditRecords(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
  ): Promise<Json | string> {
    return this.search(tenant, readSearchRequest(readSearchBody(body), { cursor: true }));
  }

  @Get(':id')
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('audit:read')
  @AuditedAs('readAuditRecord')
  @ApiOperation({ summary: 'Read one audit record', operationId: 'readAuditRecord' })
  @ApiOkResponse({ description: 'The record', schema: RECORD })
  async readAuditRecord(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
  ): Promise<Json | string> {
    const row = await this.audit.readRecord(tenant, id);
    const seal = await this.integrity.proofOf(tenant, row.id);
    const attributes = readAttributeList(query.attributes);
    const excluded = readAttributeList(query.excludedAttributes);
    if (!projects(attributes, excluded)) {
      // The record's JSON ends with `}`: the seal goes in as its last member, unparsed.
      return seal ? `${row.resource.slice(0, -1)},"seal":${JSON.stringify(seal)}}` : row.resource;
    }
    const resource = JSON.parse(row.resource) as Json;
    if (seal) resource.seal = seal;
    return projectAttributes(resource, attributes, excluded);
  }

  private async search(tenant: string, request: SearchRequest): Promise<Json | string> {
    const page = await this.audit.searchRecords(tenant, request);
    const key = this.config.scimResourcesKey;
    if (!projects(request.attributes, request.excludedAttributes)) {
      return searchListJson(
        key,
        page,
        page.rows.map((row) => row.resource),
      );
    }
    return projectedListResponse(key, page, request, (row) => JSON.parse(row.resource) as Json);
  }
}

/** Whether `attributes` or `excludedAttributes` ask for less than the whole resource. */
const projects = (attributes?: string[], excluded?: string[]): boolean =>
  (attributes?.length ?? 0) > 0 || (excluded?.length ?? 0) > 0;
