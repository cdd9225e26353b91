import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { listResponse } from '../scim/scim-paging';
import { readSearchBody, readSearchRequest } from '../scim/scim-search-request';
import { SearchRequestDto } from '../search/search-request.dto';
import { RootSearchService } from './root-search.service';

/**
 * `POST /{tenant}/v2/.search` (RFC 7644 §3.4.3). Any token of the tenant may call it; what it
 * finds depends on the token's scopes (RootSearchService).
 */
@ApiTags('SCIM discovery')
@Controller(':tenant/v2')
export class RootSearchController {
  constructor(
    private readonly root: RootSearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('.search')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Search every resource type the token may read (RFC 7644 §3.4.3)',
    description:
      "Results come type by type (User, AuditRecord, Device, Organization, as the token's " +
      'scopes allow), each in its default order; a type whose attributes the filter does not ' +
      'name has no matches. Index paging only; sortBy is refused.',
    operationId: 'searchAllResources',
  })
  @ApiBody({ type: SearchRequestDto })
  async searchAllResources(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const request = readSearchRequest(readSearchBody(body), { cursor: false });
    const found = await this.root.search(tenant, request);
    return listResponse(
      this.config.scimResourcesKey,
      found.total,
      found.startIndex,
      found.resources,
    );
  }
}
