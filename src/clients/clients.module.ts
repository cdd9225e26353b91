import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ClientRegistrationController } from './client-registration.controller';
import { ClientRegistrationService } from './client-registration.service';
import { RegistrationAccessGuard } from './registration-access.guard';

/**
 * OAuth client registration and management (RFC 7591/7592). The clients table, provisioning
 * and the client directory live in AuthModule, which the token endpoint and bootstrap share.
 */
@Module({
  imports: [UsersModule],
  controllers: [ClientRegistrationController],
  providers: [ClientRegistrationService, RegistrationAccessGuard],
})
export class ClientsModule {}
