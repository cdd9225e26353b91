import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { SearchModule } from '../search/search.module';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditService } from './audit.service';

@Module({
  imports: [SearchModule, MetricsModule],
  controllers: [AuditRecordsController],
  providers: [AuditService, AuditRecordsRepository, AuditSearchService],
  exports: [AuditService, AuditRecordsRepository, AuditSearchService],
})
export class AuditModule {}
