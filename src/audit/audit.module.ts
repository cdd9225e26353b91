import { Global, Module } from '@nestjs/common';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditService } from './audit.service';

@Global()
@Module({
  controllers: [AuditRecordsController],
  providers: [AuditService, AuditRecordsRepository],
  exports: [AuditService, AuditRecordsRepository],
})
export class AuditModule {}
