import { Global, Module } from '@nestjs/common';
import { AuditEventTokensService } from './audit-event-tokens.service';
import { AuditRecordsController } from './audit-records.controller';
import { AuditRecordsRepository } from './audit-records.repository';
import { AuditSearchService } from './audit-search.service';
import { AuditService } from './audit.service';
import { EventsController } from './events.controller';

@Global()
@Module({
  controllers: [AuditRecordsController, EventsController],
  providers: [AuditService, AuditRecordsRepository, AuditSearchService, AuditEventTokensService],
  exports: [AuditService, AuditRecordsRepository],
})
export class AuditModule {}
