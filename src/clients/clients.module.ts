import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { UsersModule } from '../users/users.module';
import { ClientProvisioningService } from './client-provisioning.service';
import { ClientsRepository } from './clients.repository';

/**
 * The clients table and what creates a client (its service-account user, its row, its
 * secret): shared by the token endpoint, bootstrap, registration and CIBA, so it sits below
 * all of them.
 */
@Module({
  imports: [AuditModule, UsersModule],
  providers: [ClientsRepository, ClientProvisioningService],
  exports: [ClientsRepository, ClientProvisioningService],
})
export class ClientsModule {}
