import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../common/access.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { readSearchRequest } from '../scim/scim-search-request';
import { SearchQueryParameters } from '../search/search-request.dto';
import { projectedListResponse } from '../search/search-response';
import { SearchService } from '../search/search.service';
import { CLIENTS_SEARCH, ClientListRow, toClientResource } from './client-list';

type Json = Record<string, unknown>;

/**
 * The tenant's registered clients as a SCIM list (RFC 7592 has no list; every console needs
 * one). Each is read and changed at its `registration_client_uri`.
 */
@ApiTags('OAuth client registration')
@ApiBearerAuth()
@Controller(':tenant/v2/Clients')
export class ClientsController {
  constructor(
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('clients:read')
  @ApiOperation({
    summary: 'List or filter registered clients (never their secrets)',
    description:
      'Scope clients:read. A SCIM ListResponse of the RFC 7591 metadata of each client. Filterable: id (the client_id), client_id, client_name, grant_types and scope (their space-separated lists), token_endpoint_auth_method, backchannel_token_delivery_mode, meta.created, meta.lastModified. Paged by startIndex/count or by cursor (RFC 9865).',
    operationId: 'listClients',
  })
  @SearchQueryParameters()
  async listClients(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const request = readSearchRequest(query, { cursor: true });
    const page = await this.search.list<ClientListRow>(tenant, CLIENTS_SEARCH, request);
    return projectedListResponse(this.config.scimResourcesKey, page, request, (row) =>
      toClientResource(row, this.config.publicBaseUrl),
    );
  }
}
