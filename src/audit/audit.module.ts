import { Module } from '@nestjs/common';
import { SearchModule } from '../search/search.module';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditExportService } from './audit-export.service';
import { AuditStreamController } from './audit-stream.controller';
import { AuditStreamRepository } from './audit-stream.repository';
import { AuditTailService } from './audit-tail.service';
import { AuditService } from './audit.service';

@Module({
  imports: [SearchModule],
  controllers: [AuditStreamController, AuditRecordsController],
  providers: [
    AuditService,
    AuditRecordsRepository,
    AuditSearchService,
    AuditStreamRepository,
    AuditExportService,
    AuditTailService,
  ],
  exports: [AuditService, AuditRecordsRepository, AuditSearchService],
})
export class AuditModule {}
