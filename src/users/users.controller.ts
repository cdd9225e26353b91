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
import { RequireScopes } from '../common/access.decorators';
import { AuditedAs } from '../audit/audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { projectAttributes, readAttributeList } from '../scim/scim-attributes';
import { readSearchBody, readSearchRequest } from '../scim/scim-search-request';
import { projectedListResponse } from '../search/search-response';
import { PatchOpDto, UserDto } from './user.dto';
import { toUserResource, userVersion } from './user.mapper';
import { UserRow } from './user-row';
import { UsersService } from './users.service';
import { SearchQueryParameters } from '../search/search-request.dto';

type Json = Record<string, unknown>;

@ApiTags('SCIM Users')
@Controller(':tenant/v2/Users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('users:write')
  @AuditedAs('createUser')
  @ApiOperation({ summary: 'Create a user (RFC 7644 §3.3)', operationId: 'createUser' })
  @ApiBody({ type: UserDto })
  async createUser(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    const row = await this.users.create(tenant, body);
    return this.send(reply, row, true);
  }

  @Get()
  @RequireScopes('users:read')
  @ApiOperation({ summary: 'List or filter users (RFC 7644 §3.4.2)', operationId: 'listUsers' })
  @SearchQueryParameters()
  async listUsers(@Param('tenant') tenant: string, @Query() query: Json): Promise<Json> {
    return this.search(tenant, query);
  }

  @Post('.search')
  @HttpCode(200)
  @RequireScopes('users:read')
  @ApiOperation({
    summary: 'Search users with a SearchRequest (RFC 7644 §3.4.3)',
    operationId: 'searchUsers',
  })
  async searchUsers(@Param('tenant') tenant: string, @Body() body: unknown): Promise<Json> {
    return this.search(tenant, readSearchBody(body));
  }

  @Get(':id')
  @RequireScopes('users:read')
  @ApiOperation({ summary: 'Read a user', operationId: 'getUser' })
  async getUser(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Query() query: Json,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    const row = await this.users.get(tenant, id);
    return projectAttributes(
      this.send(reply, row),
      readAttributeList(query.attributes),
      readAttributeList(query.excludedAttributes),
    );
  }

  @Put(':id')
  @RequireScopes('users:write')
  @AuditedAs('updateUser')
  @ApiOperation({ summary: 'Replace a user (RFC 7644 §3.5.1)', operationId: 'replaceUser' })
  @ApiBody({ type: UserDto })
  async replaceUser(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.users.replace(tenant, id, body, ifMatch));
  }

  @Patch(':id')
  @RequireScopes('users:write')
  @AuditedAs('updateUser')
  @ApiOperation({
    summary: 'Modify a user with a PatchOp (RFC 7644 §3.5.2)',
    operationId: 'patchUser',
  })
  @ApiBody({ type: PatchOpDto })
  async patchUser(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.send(reply, await this.users.patch(tenant, id, body, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('users:write')
  @AuditedAs('deleteUser')
  @ApiOperation({ summary: 'Delete a user', operationId: 'deleteUser' })
  async deleteUser(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.users.delete(tenant, id, ifMatch);
  }

  private async search(tenant: string, source: Json): Promise<Json> {
    const request = readSearchRequest(source, { cursor: true });
    const page = await this.users.list(tenant, request);
    return projectedListResponse(this.config.scimResourcesKey, page, request, (r) =>
      toUserResource(r, this.config.publicBaseUrl),
    );
  }

  private send(reply: FastifyReply, row: UserRow, created = false): Json {
    const resource = toUserResource(row, this.config.publicBaseUrl);
    void reply.header('ETag', userVersion(row));
    if (created) void reply.header('Location', (resource.meta as { location: string }).location);
    return resource;
  }
}
