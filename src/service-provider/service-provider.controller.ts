import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../scim/filter';
import { CURSOR_TIMEOUT_SECONDS } from '../scim/scim-cursor';
import { DEFAULT_COUNT, listResponse, MAX_COUNT } from '../scim/scim-paging';
import { RESOURCE_TYPES, SCHEMAS, SPC_LIMITS_SCHEMA } from './scim-schemas';

type Json = Record<string, unknown>;

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/**
 * SCIM discovery (RFC 7644 §4, RFC 7643 §5-7, RFC 9865 §4): what this service supports. Like
 * every tenant route it needs a bearer token of the tenant, but no particular scope.
 */
@ApiTags('SCIM discovery')
@Controller(':tenant/v2')
export class ServiceProviderController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('ServiceProviderConfig')
  @ApiOperation({
    summary: 'What the service supports: filter, sort, patch, etag, paging, bulk limits',
    operationId: 'getServiceProviderConfig',
  })
  getServiceProviderConfig(@Param('tenant') tenant: string, @Query() query: Json): Json {
    refuseFilter(query);
    return {
      schemas: [SPC_SCHEMA, SPC_LIMITS_SCHEMA],
      documentationUri: `${this.config.publicBaseUrl}/docs`,
      patch: { supported: true },
      // No RFC 7644 /Bulk endpoint; the limits are those of the .import routes.
      bulk: {
        supported: false,
        maxOperations: this.config.limits.importMaxItems,
        maxPayloadSize: this.config.limits.importBodyBytes,
      },
      filter: { supported: true, maxResults: MAX_COUNT },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: DEFAULT_COUNT,
        maxPageSize: MAX_COUNT,
        cursorTimeout: CURSOR_TIMEOUT_SECONDS,
      },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description: `RFC 9068 access token from ${this.config.publicBaseUrl}/${tenant}/authn/token`,
          specUri: 'https://www.rfc-editor.org/info/rfc6750',
          primary: true,
        },
      ],
      [SPC_LIMITS_SCHEMA]: {
        filter: {
          maxLength: MAX_FILTER_LENGTH,
          maxDepth: MAX_FILTER_DEPTH,
          maxComparisons: MAX_FILTER_COMPARISONS,
        },
      },
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${this.base(tenant)}/ServiceProviderConfig`,
      },
    };
  }

  @Get('Schemas')
  @ApiOperation({ summary: 'The schemas the service speaks', operationId: 'listSchemas' })
  listSchemas(@Param('tenant') tenant: string, @Query() query: Json): Json {
    refuseFilter(query);
    const resources = SCHEMAS.map((s) => this.schema(tenant, s.id));
    return listResponse(this.config.scimResourcesKey, resources.length, 1, resources);
  }

  @Get('Schemas/:id')
  @ApiOperation({ summary: 'One schema, by its URN', operationId: 'getSchema' })
  getSchema(@Param('tenant') tenant: string, @Param('id') id: string): Json {
    return this.schema(tenant, id);
  }

  @Get('ResourceTypes')
  @ApiOperation({
    summary: 'The resource types the service serves',
    operationId: 'listResourceTypes',
  })
  listResourceTypes(@Param('tenant') tenant: string, @Query() query: Json): Json {
    refuseFilter(query);
    const resources = RESOURCE_TYPES.map((r) => this.resourceType(tenant, r.id));
    return listResponse(this.config.scimResourcesKey, resources.length, 1, resources);
  }

  @Get('ResourceTypes/:id')
  @ApiOperation({ summary: 'One resource type, by its id', operationId: 'getResourceType' })
  getResourceType(@Param('tenant') tenant: string, @Param('id') id: string): Json {
    return this.resourceType(tenant, id);
  }

  private schema(tenant: string, id: string): Json {
    const schema = SCHEMAS.find((s) => s.id === id);
    if (!schema) throw scimError(404, undefined, `Schema ${id.slice(0, 100)} not found`);
    return {
      schemas: [SCHEMA_SCHEMA],
      ...schema,
      meta: { resourceType: 'Schema', location: `${this.base(tenant)}/Schemas/${schema.id}` },
    };
  }

  private resourceType(tenant: string, id: string): Json {
    const type = RESOURCE_TYPES.find((r) => r.id === id);
    if (!type) throw scimError(404, undefined, `ResourceType ${id.slice(0, 100)} not found`);
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      ...type,
      schemaExtensions: [],
      meta: {
        resourceType: 'ResourceType',
        location: `${this.base(tenant)}/ResourceTypes/${type.id}`,
      },
    };
  }

  private base(tenant: string): string {
    return `${this.config.publicBaseUrl}/${tenant}/v2`;
  }
}

/** RFC 7644 §4: discovery endpoints take no filter. */
function refuseFilter(query: Json): void {
  if (query.filter !== undefined) {
    throw scimError(403, undefined, 'Filtering is not supported on this endpoint');
  }
}
