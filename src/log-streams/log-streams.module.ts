import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { MetricsModule } from '../metrics/metrics.module';
import { LogStreamMetricsService } from './log-stream-metrics.service';
import { LogStreamDelivererService } from './log-stream-deliverer.service';
import { LogStreamsController } from './log-streams.controller';
import { LogStreamsRepository } from './log-streams.repository';
import { LogStreamsService } from './log-streams.service';

@Module({
  imports: [AuditModule, MetricsModule],
  controllers: [LogStreamsController],
  providers: [
    LogStreamsRepository,
    LogStreamsService,
    LogStreamDelivererService,
    LogStreamMetricsService,
  ],
})
export class LogStreamsModule {}
