import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SearchModule } from '../search/search.module';
import { UsersModule } from '../users/users.module';
import { DevicesController } from './devices.controller';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';

@Module({
  imports: [AuditModule, SearchModule, UsersModule],
  controllers: [DevicesController],
  providers: [DevicesService, DevicesRepository],
  exports: [DevicesRepository, DevicesService],
})
export class DevicesModule {}
