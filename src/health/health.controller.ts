import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '../common/access.decorators';
import { migrationsApplied } from '../database/migration-runner';
import { MetricsService } from './metrics.service';

@ApiTags('Operations')
@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health/live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers', operationId: 'getLiveness' })
  getLiveness() {
    return this.health.check([]);
  }

  @Get('health/ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: database reachable and migrations applied',
    operationId: 'getReadiness',
  })
  getReadiness() {
    return this.health.check([
      () => this.db.pingCheck('database', { connection: this.dataSource, timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('migrations');
        return (await migrationsApplied(this.dataSource))
          ? indicator.up()
          : indicator.down({ pending: true });
      },
    ]);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics', operationId: 'getMetrics' })
  getMetrics(): Promise<string> {
    return this.metrics.render();
  }
}
