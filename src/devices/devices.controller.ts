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
import { DeviceRow } from './device-row';
import { DeviceDto } from './device.dto';
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

  @Post()
  @HttpCode(201)
  @RequireScopes('devices:write')
  @AuditedAs('addDevice')
  @ApiOperation({ summary: 'Create a device (RFC 7644 §3.3)', operationId: 'createDevice' })
  @ApiBody({ type: DeviceDto })
  async createDevice(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.devices.create(tenant, body), true);
  }

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
    return projectAttributes(
      this.send(reply, row),
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }

  @Put(':id')
  @RequireScopes('devices:write')
  @AuditedAs('updateDevice')
  @ApiOperation({ summary: 'Replace a device (RFC 7644 §3.5.1)', operationId: 'replaceDevice' })
  @ApiBody({ type: DeviceDto })
  async replaceDevice(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.devices.replace(tenant, id, body, ifMatch));
  }

  @Patch(':id')
  @RequireScopes('devices:write')
  @AuditedAs('updateDevice')
  @ApiOperation({
    summary: 'Modify a device with a PatchOp (RFC 7644 §3.5.2)',
    operationId: 'patchDevice',
  })
  @ApiBody({ type: PatchOpDto })
  async patchDevice(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.devices.patch(tenant, id, body, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('devices:write')
  @AuditedAs('deleteDevice')
  @ApiOperation({ summary: 'Delete a device', operationId: 'deleteDevice' })
  async deleteDevice(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.devices.delete(tenant, id, ifMatch);
  }

  private send(reply: FastifyReply, row: DeviceRow, created = false): Json {
    const resource = toDeviceResource(row, this.config.publicBaseUrl);
    void reply.header('ETag', deviceVersion(row));
    if (created) void reply.header('Location', (resource.meta as { location: string }).location);
    return resource;
  }
}
