import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { RequireScopes } from '../common/access.decorators';
import { AuditedAs } from '../audit/audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UserDto } from '../users/user.dto';
import {
  DEVICE_IMPORT_BODY,
  IMPORT_CREATED,
  ORGANIZATION_IMPORT_BODY,
  USER_IMPORT_BODY,
} from './import.openapi';
import { IMPORT_KINDS, ImportKindSpec } from './import-kinds';
import { importPath, toImportResponse, toImportStatus } from './import-status';
import { ImportsService } from './imports.service';

type Json = Record<string, unknown>;

/**
 * Bulk imports (API.md §8): 201 with the COI at once, the work in a durable job, progress at
 * the Location. The 201's `Location` is the path the contract shows; `meta.location` is the
 * absolute URL, as everywhere else.
 */
@ApiTags('Bulk import')
@ApiExtraModels(UserDto)
@Controller(':tenant/v2')
export class ImportsController {
  constructor(
    private readonly imports: ImportsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('Users/.import')
  @HttpCode(201)
  @RequireScopes('import:write')
  @AuditedAs('importUsers')
  @ApiOperation({ summary: 'Import users as a background job', operationId: 'importUsers' })
  @ApiBody({ schema: USER_IMPORT_BODY })
  @ApiCreatedResponse(IMPORT_CREATED)
  async importUsers(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.accept(IMPORT_KINDS.users, tenant, body, reply);
  }

  @Post('Devices/.import')
  @HttpCode(201)
  @RequireScopes('import:write')
  @AuditedAs('importDevices')
  @ApiOperation({ summary: 'Import devices as a background job', operationId: 'importDevices' })
  @ApiBody({ schema: DEVICE_IMPORT_BODY })
  @ApiCreatedResponse(IMPORT_CREATED)
  async importDevices(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.accept(IMPORT_KINDS.devices, tenant, body, reply);
  }

  @Post('Organizations/.import')
  @HttpCode(201)
  @RequireScopes('import:write')
  @AuditedAs('importOrganizations')
  @ApiOperation({
    summary: 'Import organizations as a background job',
    operationId: 'importOrganizations',
  })
  @ApiBody({ schema: ORGANIZATION_IMPORT_BODY })
  @ApiCreatedResponse(IMPORT_CREATED)
  async importOrganizations(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return this.accept(IMPORT_KINDS.organizations, tenant, body, reply);
  }

  @Get('Users/.import/:coi')
  @RequireScopes('import:write')
  @ApiOperation({ summary: 'Status of a user import', operationId: 'getUserImport' })
  async getUserImport(@Param('tenant') tenant: string, @Param('coi') coi: string): Promise<Json> {
    return this.status(IMPORT_KINDS.users, tenant, coi);
  }

  @Get('Devices/.import/:coi')
  @RequireScopes('import:write')
  @ApiOperation({ summary: 'Status of a device import', operationId: 'getDeviceImport' })
  async getDeviceImport(@Param('tenant') tenant: string, @Param('coi') coi: string): Promise<Json> {
    return this.status(IMPORT_KINDS.devices, tenant, coi);
  }

  @Get('Organizations/.import/:coi')
  @RequireScopes('import:write')
  @ApiOperation({
    summary: 'Status of an organization import',
    operationId: 'getOrganizationImport',
  })
  async getOrganizationImport(
    @Param('tenant') tenant: string,
    @Param('coi') coi: string,
  ): Promise<Json> {
    return this.status(IMPORT_KINDS.organizations, tenant, coi);
  }

  private async accept(
    spec: ImportKindSpec,
    tenant: string,
    body: unknown,
    reply: FastifyReply,
  ): Promise<Json> {
    const coi = await this.imports.accept(spec, tenant, body);
    const location = `${this.config.publicBaseUrl}${importPath(spec, tenant, coi)}`;
    void reply.header('Location', location);
    return toImportResponse(spec, location, coi);
  }

  private async status(spec: ImportKindSpec, tenant: string, coi: string): Promise<Json> {
    const { job, errors } = await this.imports.status(spec, tenant, coi);
    const location = `${this.config.publicBaseUrl}${importPath(spec, tenant, coi)}`;
    return toImportStatus(spec, job, errors, location);
  }
}
