import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DevicesModule } from '../devices/devices.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { UsersModule } from '../users/users.module';
import { RootSearchController } from './root-search.controller';
import { RootSearchService } from './root-search.service';
import { ServiceProviderController } from './service-provider.controller';

/** SCIM discovery (ServiceProviderConfig, Schemas, ResourceTypes) and the root search. */
@Module({
  imports: [UsersModule, AuditModule, DevicesModule, OrganizationsModule],
  controllers: [ServiceProviderController, RootSearchController],
  providers: [RootSearchService],
})
export class ServiceProviderModule {}
