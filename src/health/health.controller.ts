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

/** Longest each readiness check waits for the database: the probe answers within it. */
const READY_CHECK_MS = 2000;

/** The check's answer, or false when it has not come within `ms`. */
async function within(ms: number, check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([check.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('Operations')
@Controller()
@Public()
export class HealthController {
  private migrationsDone = false;

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
      () => this.db.pingCheck('database', { connection: this.dataSource, timeout: READY_CHECK_MS }),
      async () => {
        const indicator = this.indicators.check('migrations');
        // Applied migrations stay applied: asked once, not on every probe. The question is
        // bounded like the ping, so a hung database cannot hold the probe's answer.
        this.migrationsDone ||= await within(READY_CHECK_MS, migrationsApplied(this.dataSource));
        return this.migrationsDone ? indicator.up() : indicator.down({ pending: true });
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
