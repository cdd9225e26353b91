import { Module } from '@nestjs/common';
import { SearchModule } from '../search/search.module';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditService } from './audit.service';
import { FailureBacklog } from './failure-backlog';

@Module({
  imports: [SearchModule],
  controllers: [AuditRecordsController],
  providers: [AuditService, AuditRecordsRepository, AuditSearchService, FailureBacklog],
  exports: [AuditService, AuditRecordsRepository, AuditSearchService, FailureBacklog],
})
export class AuditModule {}
