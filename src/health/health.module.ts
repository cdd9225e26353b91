import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule } from '../audit/audit.module';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';
import { OperationsMetricsService } from './operations-metrics.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AuditModule, MetricsModule, JobsModule],
  controllers: [HealthController],
  providers: [MetricsService, OperationsMetricsService],
  exports: [MetricsService],
})
export class HealthModule {}
