import { Module } from '@nestjs/common';
import { SearchModule } from '../search/search.module';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditService } from './audit.service';
import { AuditIntegrityService } from './audit-integrity.service';
import { AuditKeysService } from './audit-keys.service';
import { AuditSealerService } from './audit-sealer.service';
import { AuditSealsRepository } from './audit-seals.repository';
import { FailureBacklog } from './failure-backlog';

@Module({
  imports: [SearchModule],
  controllers: [AuditRecordsController],
  providers: [
    AuditService,
    AuditRecordsRepository,
    AuditSearchService,
    AuditKeysService,
    AuditSealsRepository,
    AuditSealerService,
    AuditIntegrityService,
    FailureBacklog,
  ],
  exports: [
    AuditService,
    AuditRecordsRepository,
    AuditSearchService,
    AuditIntegrityService,
    FailureBacklog,
  ],
})
export class AuditModule {}
