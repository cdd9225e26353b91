import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScopes } from '../common/access.decorators';
import { AuditedAs } from '../audit/audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SCIM_JSON_CONTENT_TYPE } from '../scim/scim-constants';
import { logStreamList, toLogStreamResource } from './log-stream.mapper';
import { LOG_STREAM_INPUT_SCHEMA, LOG_STREAM_SCHEMA_REF } from './log-stream.openapi';
import { LogStreamsService, StreamView } from './log-streams.service';

type Json = Record<string, unknown>;

/**
 * Log streams (docs/log-streams.md): HTTP sinks that receive the tenant's audit records.
 * Reading them needs `audit:read` (they show what leaves the trail); changing them
 * `streams:write`.
 */
@ApiTags('Log streams')
@Controller(':tenant/v2/LogStreams')
export class LogStreamsController {
  constructor(
    private readonly streams: LogStreamsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('streams:write')
  @AuditedAs('createLogStream')
  @ApiOperation({
    summary: 'Create a log stream; the answer shows its signing secret, once',
    operationId: 'createLogStream',
  })
  @ApiBody({ schema: LOG_STREAM_INPUT_SCHEMA })
  @ApiCreatedResponse({ description: 'The stream, with `secret`', schema: LOG_STREAM_SCHEMA_REF })
  async createLogStream(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    const resource = this.render(await this.streams.create(tenant, body));
    void reply.header('Location', (resource.meta as { location: string }).location);
    return resource;
  }

  @Get()
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('audit:read')
  @ApiOperation({ summary: "List the tenant's log streams", operationId: 'listLogStreams' })
  @ApiOkResponse({ description: 'SCIM ListResponse of LogStreams' })
  async listLogStreams(@Param('tenant') tenant: string): Promise<Json> {
    const views = await this.streams.list(tenant);
    return logStreamList(
      views.map((v) => this.render(v)),
      this.config.scimResourcesKey,
    );
  }

  @Get(':id')
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('audit:read')
  @ApiOperation({
    summary: 'Read a log stream and its delivery status (lag, last error)',
    operationId: 'readLogStream',
  })
  @ApiOkResponse({ description: 'The stream', schema: LOG_STREAM_SCHEMA_REF })
  async readLogStream(@Param('tenant') tenant: string, @Param('id') id: string): Promise<Json> {
    return this.render(await this.streams.read(tenant, id));
  }

  @Patch(':id')
  @Header('content-type', SCIM_JSON_CONTENT_TYPE)
  @RequireScopes('streams:write')
  @AuditedAs('updateLogStream')
  @ApiOperation({
    summary: 'Change a log stream; `status` pauses or resumes it',
    operationId: 'updateLogStream',
  })
  @ApiBody({ schema: LOG_STREAM_INPUT_SCHEMA })
  @ApiOkResponse({ description: 'The stream', schema: LOG_STREAM_SCHEMA_REF })
  async updateLogStream(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<Json> {
    return this.render(await this.streams.update(tenant, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('streams:write')
  @AuditedAs('deleteLogStream')
  @ApiOperation({ summary: 'Delete a log stream', operationId: 'deleteLogStream' })
  async deleteLogStream(@Param('tenant') tenant: string, @Param('id') id: string): Promise<void> {
    await this.streams.delete(tenant, id);
  }

  private render(view: StreamView): Json {
    return toLogStreamResource(view.row, view.lag, this.config.publicBaseUrl, view.secret);
  }
}
