import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { SearchModule } from '../search/search.module';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditExportService } from './audit-export.service';
import { AuditStreamController } from './audit-stream.controller';
import { AuditStreamRepository } from './audit-stream.repository';
import { AuditTailService } from './audit-tail.service';
import { AuditService } from './audit.service';
import { AuditIntegrityService } from './audit-integrity.service';
import { AuditKeysService } from './audit-keys.service';
import { AuditSealerService } from './audit-sealer.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditSealsRepository } from './audit-seals.repository';
import { EXPORT_MANIFEST_SIGNER } from './audit-export';
import { SealingKeyManifestSigner } from './export-manifest-signer';
import { FailureBacklog } from './failure-backlog';

@Module({
  imports: [SearchModule, MetricsModule],
  controllers: [AuditStreamController, AuditRecordsController],
  providers: [
    AuditService,
    AuditRecordsRepository,
    AuditSearchService,
    AuditKeysService,
    AuditSealsRepository,
    AuditSealerService,
    AuditRetentionService,
    AuditIntegrityService,
    FailureBacklog,
    AuditStreamRepository,
    AuditExportService,
    AuditTailService,
    { provide: EXPORT_MANIFEST_SIGNER, useClass: SealingKeyManifestSigner },
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
