import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AccessTokenService } from './access-token.service';
import { Public } from '../common/access.decorators';
import {
  GRANT_CIBA,
  GRANT_CLIENT_CREDENTIALS,
  MANAGEMENT_SCOPES,
  OIDC_SCOPES,
} from '../common/scopes';
import { SIGNING_ALG, SigningKeysService } from './signing-keys.service';
import { TenantsService } from './tenants.service';

/** Public metadata: unlike the authenticated routes, these say 404 for an unknown tenant. */
@ApiTags('OAuth')
@Controller(':tenant')
@Public()
export class DiscoveryController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly keys: SigningKeysService,
    private readonly tokens: AccessTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('.well-known/openid-configuration')
  @ApiOperation({
    summary: 'OpenID Provider metadata of the tenant',
    operationId: 'getOpenIdConfiguration',
  })
  async getOpenIdConfiguration(@Param('tenant') tenant: string): Promise<Record<string, unknown>> {
    await this.requireTenant(tenant);
    const base = `${this.config.publicBaseUrl}/${tenant}`;
    return {
      issuer: this.tokens.issuer(tenant),
      token_endpoint: `${base}/authn/token`,
      jwks_uri: `${base}/authn/jwks.json`,
      registration_endpoint: `${base}/authn/register`,
      backchannel_authentication_endpoint: `${base}/authn/bcauthorize`,
      grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_CIBA],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      backchannel_token_delivery_modes_supported: ['poll', 'ping', 'push'],
      backchannel_user_code_parameter_supported: false,
      scopes_supported: [...OIDC_SCOPES, ...MANAGEMENT_SCOPES],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      access_token_signing_alg_values_supported: [SIGNING_ALG],
      claims_supported: [
        'sub',
        'aud',
        'iss',
        'iat',
        'exp',
        'auth_time',
        'acr',
        'client_id',
        'scope',
        'tenant',
      ],
    };
  }

  @Get('authn/jwks.json')
  @ApiOperation({ summary: 'Public signing keys of the tenant (JWK Set)', operationId: 'getJwks' })
  async getJwks(@Param('tenant') tenant: string): Promise<{ keys: unknown[] }> {
    await this.requireTenant(tenant);
    return this.keys.jwks(tenant);
  }

  private async requireTenant(tenant: string): Promise<void> {
    if (!(await this.tenants.exists(tenant))) {
      throw new ApiError(404, 'not_found', 'Unknown tenant');
    }
  }
}
