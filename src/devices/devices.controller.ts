import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScopes } from '../auth/auth.decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readListQuery } from '../scim/scim-list-query';
import { listResponse } from '../scim/scim-paging';
import { deviceVersion, toDeviceResource } from './device.mapper';
import { DevicesService } from './devices.service';

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
  async listDevices(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    const list = readListQuery(query);
    const { total, rows } = await this.devices.list(tenant, list);
    const attributes = readAttributeList(query.attributes);
    const excluded = readAttributeList(query.excludedAttributes);
    const resources = rows.map((r) =>
      projectAttributes(toDeviceResource(r, this.config.publicBaseUrl), attributes, excluded),
    );
    return listResponse(this.config.scimResourcesKey, total, list.startIndex, resources);
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
