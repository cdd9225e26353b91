import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Database } from '../database/database';
import { dataSourcePoolStats, PoolStats } from '../database/pool-stats';
import { SearchDatabase } from '../database/search-database';
import { JobsService } from '../jobs/jobs.service';
import { MetricsRegistry, sharedSample } from '../metrics/metrics-registry';
import { SEALING_LAG } from './operations-metrics.queries';

/**
 * The operators' gauges that are not the audit trail's own counters (docs/operations.md):
 * pool saturation, read from the pools' counters at scrape time (no query); job queues and
 * sealing lag, sampled by query on the metrics timer.
 */
@Injectable()
export class OperationsMetricsService implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly dataSource: DataSource,
    private readonly search: SearchDatabase,
    private readonly jobs: JobsService,
    private readonly db: Database,
  ) {}

  onModuleInit(): void {
    const pools = (): [string, PoolStats | undefined][] => [
      ['main', dataSourcePoolStats(this.dataSource)],
      ['search', this.search.poolStats()],
    ];
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database connections per pool (main: writes and jobs; search: reads of the trail) by state: max, open, in_use, waiting (callers queued for one)',
      labelNames: ['pool', 'state'],
      registers: [this.metrics.registry],
      collect() {
        this.reset();
        for (const [pool, stats] of pools()) {
          if (!stats) continue;
          this.set({ pool, state: 'max' }, stats.max);
          this.set({ pool, state: 'open' }, stats.open);
          this.set({ pool, state: 'in_use' }, stats.inUse);
          this.set({ pool, state: 'waiting' }, stats.waiting);
        }
      },
    });

    const queues = sharedSample(() => this.jobs.queueStats());
    this.metrics.registerSampledGauge(
      'jobs_queue_depth',
      'Background jobs per queue waiting to run (created or retrying)',
      ['queue'],
      async () => (await queues()).map((q) => ({ labels: { queue: q.queue }, value: q.waiting })),
    );
    this.metrics.registerSampledGauge(
      'jobs_active',
      'Background jobs per queue running now',
      ['queue'],
      async () => (await queues()).map((q) => ({ labels: { queue: q.queue }, value: q.active })),
    );
    this.metrics.registerSampledGauge(
      'jobs_oldest_waiting_seconds',
      'Age of the oldest due job per queue that no worker has taken yet',
      ['queue'],
      async () =>
        (await queues()).map((q) => ({ labels: { queue: q.queue }, value: q.oldestSeconds })),
    );
    this.registerSealingLag();
  }

  /**
   * Sealing lag, for the sealing of the trail (docs/operations.md): the gauges read the SQL
   * function `audit_sealing_lag()` returning `(records bigint, oldest_seconds float8)`, the
   * unsealed records and the age of the oldest over every tenant.
   */
  private registerSealingLag(): void {
    // Every tenant's trail: the sampler's one cross-tenant read, named as such.
    const lag = async () => {
      const [row] = await this.db.acrossTenants('sample the sealing lag of every tenant', () =>
        this.db.query<{ records: string; oldest_seconds: number | null }>(SEALING_LAG),
      );
      return row;
    };
    const shared = sharedSample(lag);
    this.metrics.registerSampledGauge(
      'audit_unsealed_records',
      'Audit records not yet covered by a seal',
      [],
      async () => {
        const row = await shared();
        return row && [{ value: Number(row.records) }];
      },
    );
    this.metrics.registerSampledGauge(
      'audit_unsealed_oldest_seconds',
      'Age of the oldest audit record not yet covered by a seal',
      [],
      async () => {
        const row = await shared();
        return row && [{ value: Number(row.oldest_seconds ?? 0) }];
      },
    );
  }
}
