import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { AuditedAs } from '../audit/audit-action.decorator';
import { RequireScopes } from '../common/access.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchRequest } from '../scim/scim-search-request';
import { projectedListResponse } from '../search/search-response';
import { SearchQueryParameters } from '../search/search-request.dto';
import { PatchOpDto } from '../users/user.dto';
import { OrganizationRow } from './organization-row';
import { OrganizationDto } from './organization.dto';
import { organizationVersion, toOrganizationResource } from './organization.mapper';
import { OrganizationsService } from './organizations.service';

type Json = Record<string, unknown>;

/** Organizations are directory data: read with `users:read`, written with `devices:write`. */
@ApiTags('Organizations')
@Controller(':tenant/v2/Organizations')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('devices:write')
  @AuditedAs('createOrganization')
  @ApiOperation({
    summary: 'Create an organization (RFC 7644 §3.3)',
    operationId: 'createOrganization',
  })
  @ApiBody({ type: OrganizationDto })
  async createOrganization(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.organizations.create(tenant, body), true);
  }

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
    return projectAttributes(
      this.send(reply, row),
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }

  @Put(':id')
  @RequireScopes('devices:write')
  @AuditedAs('updateOrganization')
  @ApiOperation({
    summary: 'Replace an organization (RFC 7644 §3.5.1)',
    operationId: 'replaceOrganization',
  })
  @ApiBody({ type: OrganizationDto })
  async replaceOrganization(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.organizations.replace(tenant, id, body, ifMatch));
  }

  @Patch(':id')
  @RequireScopes('devices:write')
  @AuditedAs('updateOrganization')
  @ApiOperation({
    summary: 'Modify an organization with a PatchOp (RFC 7644 §3.5.2)',
    operationId: 'patchOrganization',
  })
  @ApiBody({ type: PatchOpDto })
  async patchOrganization(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.organizations.patch(tenant, id, body, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('devices:write')
  @AuditedAs('deleteOrganization')
  @ApiOperation({ summary: 'Delete an organization', operationId: 'deleteOrganization' })
  async deleteOrganization(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.organizations.delete(tenant, id, ifMatch);
  }

  private send(reply: FastifyReply, row: OrganizationRow, created = false): Json {
    const resource = toOrganizationResource(row, this.config.publicBaseUrl);
    void reply.header('ETag', organizationVersion(row));
    if (created) void reply.header('Location', (resource.meta as { location: string }).location);
    return resource;
  }
}
