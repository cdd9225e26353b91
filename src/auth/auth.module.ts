import { RequestLimitsService } from './request-limits.service';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { AccessTokenService } from './access-token.service';
import { BearerGuard } from './bearer.guard';
import { BootstrapService } from './bootstrap.service';
import { ClientAuthenticatorService } from './client-authenticator.service';
import { ClientDirectoryService } from './client-directory.service';
import { DiscoveryController } from './discovery.controller';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';
import { TokenGrantRegistry } from './token-grant.registry';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

/**
 * Tenants, signing keys, access tokens, OAuth client authentication and the bearer guard,
 * with the token and discovery endpoints. Clients come from clients/; features that add a
 * grant (CIBA) register it with TokenGrantRegistry.
 */
@Module({
  imports: [AuditModule, ClientsModule],
  controllers: [TokenController, DiscoveryController],
  providers: [
    RequestLimitsService,
    AccessTokenService,
    BearerGuard,
    BootstrapService,
    ClientAuthenticatorService,
    ClientDirectoryService,
    SigningKeysRepository,
    SigningKeysService,
    TenantsRepository,
    TenantsService,
    TokenGrantRegistry,
    TokenService,
  ],
  exports: [
    RequestLimitsService,
    AccessTokenService,
    BearerGuard,
    ClientAuthenticatorService,
    ClientDirectoryService,
    SigningKeysService,
    TenantsService,
    TokenGrantRegistry,
  ],
})
export class AuthModule {}
