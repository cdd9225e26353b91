import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { LogStreamDelivererService } from './log-stream-deliverer.service';
import { LogStreamsController } from './log-streams.controller';
import { LogStreamsRepository } from './log-streams.repository';
import { LogStreamsService } from './log-streams.service';

@Module({
  imports: [AuditModule],
  controllers: [LogStreamsController],
  providers: [LogStreamsRepository, LogStreamsService, LogStreamDelivererService],
  exports: [LogStreamsRepository],
})
export class LogStreamsModule {}
