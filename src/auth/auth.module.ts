import { Global, Module } from '@nestjs/common';
import { ClientProvisioningService } from '../clients/client-provisioning.service';
import { ClientsRepository } from '../clients/clients.repository';
import { UsersModule } from '../users/users.module';
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

@Global()
@Module({
  imports: [UsersModule],
  controllers: [TokenController, DiscoveryController],
  providers: [
    AccessTokenService,
    BearerGuard,
    BootstrapService,
    ClientAuthenticatorService,
    ClientDirectoryService,
    ClientProvisioningService,
    ClientsRepository,
    SigningKeysRepository,
    SigningKeysService,
    TenantsRepository,
    TenantsService,
    TokenGrantRegistry,
    TokenService,
  ],
  exports: [
    AccessTokenService,
    BearerGuard,
    ClientAuthenticatorService,
    ClientDirectoryService,
    ClientProvisioningService,
    ClientsRepository,
    SigningKeysService,
    TenantsService,
    TokenGrantRegistry,
  ],
})
export class AuthModule {}
