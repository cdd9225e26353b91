import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { TenantScopes } from '../database/tenant-scope';
import { MetricsRegistry, sharedSample } from '../metrics/metrics-registry';
import { LogStreamRow, StreamLag } from './log-stream-row';
import { LogStreamsRepository } from './log-streams.repository';

/**
 * Stream lag for operators (docs/operations.md): each stream's backlog in records and
 * seconds and whether it is paused, sampled on the metrics timer; deliveries counted as they
 * happen.
 */
@Injectable()
export class LogStreamMetricsService implements OnModuleInit {
  readonly deliveries: Counter;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly streams: LogStreamsRepository,
    private readonly scopes: TenantScopes,
  ) {
    this.deliveries = new Counter({
      name: 'log_stream_deliveries_total',
      help: 'Log stream deliveries (batches) by result: delivered or failed',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    const labels = ['tenant', 'stream'];
    // The three gauges share one pass over the streams per sample.
    const all = sharedSample(() => this.sample());
    const of = (row: LogStreamRow) => ({ tenant: row.tenant_id, stream: row.id });
    this.metrics.registerSampledGauge(
      'log_stream_lag_records',
      'Matching audit records a log stream has not delivered yet',
      labels,
      async () => (await all()).map((s) => ({ labels: of(s.row), value: s.lag.records })),
    );
    this.metrics.registerSampledGauge(
      'log_stream_lag_seconds',
      'Age of the oldest audit record a log stream has not delivered yet',
      labels,
      async () => (await all()).map((s) => ({ labels: of(s.row), value: s.lag.seconds })),
    );
    this.metrics.registerSampledGauge(
      'log_stream_paused',
      'Whether a log stream is paused (1) or active (0)',
      labels,
      async () =>
        (await all()).map((s) => ({ labels: of(s.row), value: s.row.status === 'paused' ? 1 : 0 })),
    );
  }

  private async sample(): Promise<{ row: LogStreamRow; lag: StreamLag }[]> {
    // The gauges cover every tenant's streams: a cross-tenant read, named as such.
    return this.scopes.acrossTenants("sample the lag of every tenant's log streams", async () => {
      const rows = await this.streams.allStreams();
      const out: { row: LogStreamRow; lag: StreamLag }[] = [];
      for (const row of rows) out.push({ row, lag: await this.streams.lag(row) });
      return out;
    });
  }
}
