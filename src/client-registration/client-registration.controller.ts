import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Public, RequireScopes } from '../common/access.decorators';
import { oauthError } from '../common/api-error';
import { AuditedAs } from '../audit/audit-action.decorator';
import { ClientInformation } from './client-information';
import { CLIENT_METADATA_SCHEMA } from './client-metadata.schema';
import { ClientRegistrationService } from './client-registration.service';
import { ClientConfigurationAccess, RegistrationAccessGuard } from './registration-access.guard';

/**
 * RFC 7591 registration and the RFC 7592 client configuration endpoint. Responses carry
 * credentials or their metadata, so none of them may be cached (RFC 7591 §3.2.1).
 */
@ApiTags('OAuth client registration')
@ApiBearerAuth()
@Controller(':tenant/authn/register')
export class ClientRegistrationController {
  constructor(private readonly registrations: ClientRegistrationService) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('clients:write')
  @AuditedAs('createAdapterConfiguration')
  @ApiOperation({
    summary:
      'Register an OAuth client (RFC 7591); its secret and registration token are shown once',
    operationId: 'registerClient',
  })
  @ApiBody({ schema: CLIENT_METADATA_SCHEMA })
  async registerClient(
    @Param('tenant') tenant: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClientInformation> {
    requireJson(contentType);
    const info = await this.registrations.register(tenant, body);
    void noStore(reply).header('Location', info.registration_client_uri);
    return info;
  }

  @Get(':clientId')
  @Public()
  @UseGuards(RegistrationAccessGuard)
  @ClientConfigurationAccess('clients:read')
  @ApiOperation({
    summary: 'Read a client registration (RFC 7592 §2.1): admin token or registration token',
    operationId: 'readClientRegistration',
  })
  async readClientRegistration(
    @Param('tenant') tenant: string,
    @Param('clientId') clientId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClientInformation> {
    noStore(reply);
    return this.registrations.read(tenant, clientId);
  }

  @Put(':clientId')
  @Public()
  @UseGuards(RegistrationAccessGuard)
  @ClientConfigurationAccess('clients:write')
  @AuditedAs('updateAdapterConfiguration')
  @ApiOperation({
    summary:
      'Replace a client registration (RFC 7592 §2.2); optionally issue a new secret or registration token',
    operationId: 'updateClientRegistration',
  })
  @ApiQuery({ name: 'rotate_secret', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'rotate_registration_token', required: false, enum: ['true', 'false'] })
  @ApiBody({ schema: CLIENT_METADATA_SCHEMA })
  async updateClientRegistration(
    @Param('tenant') tenant: string,
    @Param('clientId') clientId: string,
    @Query('rotate_secret') rotateSecret: unknown,
    @Query('rotate_registration_token') rotateToken: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClientInformation> {
    noStore(reply);
    const rotation = {
      clientSecret: readFlag('rotate_secret', rotateSecret),
      registrationAccessToken: readFlag('rotate_registration_token', rotateToken),
    };
    requireJson(contentType);
    return this.registrations.update(tenant, clientId, body, rotation);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @Public()
  @UseGuards(RegistrationAccessGuard)
  @ClientConfigurationAccess('clients:write')
  @AuditedAs('deleteAdapterConfiguration')
  @ApiOperation({
    summary: 'Delete a client (RFC 7592 §2.3); its secret and tokens stop working at once',
    operationId: 'deleteClientRegistration',
  })
  async deleteClientRegistration(
    @Param('tenant') tenant: string,
    @Param('clientId') clientId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    noStore(reply);
    await this.registrations.delete(tenant, clientId);
  }
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}

function requireJson(contentType: string | undefined): void {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    throw oauthError(400, 'invalid_request', 'Client metadata must be sent as application/json');
  }
}

function readFlag(name: string, value: unknown): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw oauthError(400, 'invalid_request', `${name} must be "true" or "false"`);
}
