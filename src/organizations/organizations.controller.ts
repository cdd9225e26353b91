import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScopes } from '../common/access.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchRequest } from '../scim/scim-search-request';
import { projectedListResponse } from '../search/search-response';
import { organizationVersion, toOrganizationResource } from './organization.mapper';
import { OrganizationsService } from './organizations.service';
import { SearchQueryParameters } from '../search/search-request.dto';

type Json = Record<string, unknown>;

/** Organizations are directory data: read with `users:read` (docs/bulk-import.md). */
@ApiTags('Organizations')
@Controller(':tenant/v2/Organizations')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('users:read')
  @ApiOperation({ summary: 'List or filter organizations', operationId: 'listOrganizations' })
  @SearchQueryParameters()
  async listOrganizations(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const request = readSearchRequest(query, { cursor: true });
    const page = await this.organizations.list(tenant, request);
    return projectedListResponse(this.config.scimResourcesKey, page, request, (r) =>
      toOrganizationResource(r, this.config.publicBaseUrl),
    );
  }

  @Get(':id')
  @RequireScopes('users:read')
  @ApiOperation({ summary: 'Read an organization', operationId: 'getOrganization' })
  async getOrganization(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    const row = await this.organizations.get(tenant, id);
    void reply.header('ETag', organizationVersion(row));
    return projectAttributes(
      toOrganizationResource(row, this.config.publicBaseUrl),
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }
}
