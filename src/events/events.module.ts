import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { AuditEventTokensService } from './audit-event-tokens.service';
import { EventsController } from './events.controller';

/**
 * HID's Events search: audit records found by COI, answered as Security Event Tokens signed
 * with the tenant's key. It reads the trail through audit/ and signs through auth/, so it
 * sits above both.
 */
@Module({
  imports: [AuditModule, AuthModule],
  controllers: [EventsController],
  providers: [AuditEventTokensService],
})
export class EventsModule {}
