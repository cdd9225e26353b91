import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DevicesModule } from '../devices/devices.module';
import { JobsModule } from '../jobs/jobs.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { UsersModule } from '../users/users.module';
import { DeviceImportProcessor } from './device-import.processor';
import { ImportBatchService } from './import-batch.service';
import { ImportJobsRepository } from './import-jobs.repository';
import { ImportWorker } from './import-worker.service';
import { ImportsController } from './imports.controller';
import { ImportsService } from './imports.service';
import { OrganizationImportProcessor } from './organization-import.processor';
import { UserImportProcessor } from './user-import.processor';

@Module({
  imports: [AuditModule, JobsModule, UsersModule, DevicesModule, OrganizationsModule],
  controllers: [ImportsController],
  providers: [
    ImportsService,
    ImportJobsRepository,
    ImportBatchService,
    ImportWorker,
    UserImportProcessor,
    DeviceImportProcessor,
    OrganizationImportProcessor,
  ],
})
export class BulkImportModule {}
