import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { SearchModule } from '../search/search.module';
import { UsersModule } from '../users/users.module';
import { ClientRegistrationController } from './client-registration.controller';
import { ClientsController } from './clients.controller';
import { ClientRegistrationService } from './client-registration.service';
import { RegistrationAccessGuard } from './registration-access.guard';

/**
 * OAuth client registration and management (RFC 7591/7592), and the list of a tenant's
 * clients. It authenticates through auth/ and writes the clients table through clients/, so
 * it sits above both.
 */
@Module({
  imports: [AuditModule, AuthModule, ClientsModule, SearchModule, UsersModule],
  controllers: [ClientRegistrationController, ClientsController],
  providers: [ClientRegistrationService, RegistrationAccessGuard],
})
export class ClientRegistrationModule {}
