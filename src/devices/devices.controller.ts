import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScopes } from '../common/access.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchRequest } from '../scim/scim-search-request';
import { projectedListResponse } from '../search/search-response';
import { deviceVersion, toDeviceResource } from './device.mapper';
import { DevicesService } from './devices.service';
import { SearchQueryParameters } from '../search/search-request.dto';

type Json = Record<string, unknown>;

@ApiTags('Devices')
@Controller(':tenant/v2/Devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('devices:read')
  @ApiOperation({ summary: 'List or filter devices', operationId: 'listDevices' })
  @SearchQueryParameters()
  async listDevices(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const request = readSearchRequest(query, { cursor: true });
    const page = await this.devices.list(tenant, request);
    return projectedListResponse(this.config.scimResourcesKey, page, request, (r) =>
      toDeviceResource(r, this.config.publicBaseUrl),
    );
  }

  @Get(':id')
  @RequireScopes('devices:read')
  @ApiOperation({ summary: 'Read a device', operationId: 'getDevice' })
  async getDevice(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    const row = await this.devices.get(tenant, id);
    void reply.header('ETag', deviceVersion(row));
    return projectAttributes(
      toDeviceResource(row, this.config.publicBaseUrl),
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }
}
