import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** One labelled value of a sampled gauge. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/**
 * Answers a gauge's current values, or undefined when it cannot be known (the feature behind
 * it is absent): the gauge then shows no value rather than a wrong one.
 */
export type Sampler = () => Promise<Sample[] | undefined>;

/**
 * One run of `query` shared by the gauges of one sample (they are sampled together), so
 * sibling gauges cost one query and agree with each other.
 */
export function sharedSample<T>(query: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= query().finally(() => setTimeout(() => (pending = undefined))));
}

interface SampledGauge {
  gauge: Gauge;
  sample: Sampler;
}

/**
 * The application's Prometheus registry (one per application instance: tests start several
 * in one process) and the metrics written from more than one folder. Gauges that need a
 * query register a `Sampler` with `registerSampledGauge`; all of them are refreshed together
 * every METRICS_SAMPLE_INTERVAL_MS, so a scrape only reads the last values and never runs a
 * query of its own.
 */
@Injectable()
export class MetricsRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MetricsRegistry.name);
  readonly registry = new Registry();
  private readonly sampled = new Map<string, SampledGauge>();
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private stopped = false;
  private sampling?: Promise<void>;

  /** Records inserted, by action and result (counted when the insert succeeds). */
  readonly auditRecordsWritten = new Counter({
    name: 'audit_records_written_total',
    help: 'Audit records inserted, by action and result',
    labelNames: ['action', 'result'],
    registers: [this.registry],
  });

  /** Inserts of audit records that failed (the change then failed too, 503). */
  readonly auditWriteFailures = new Counter({
    name: 'audit_record_write_failures_total',
    help: 'Audit record inserts that failed, by action',
    labelNames: ['action'],
    registers: [this.registry],
  });

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The registration point for gauges computed by a query (job queues, stream lag, sealing
   * lag): `sample` runs on the sampling timer, never during a scrape.
   */
  registerSampledGauge(name: string, help: string, labelNames: string[], sample: Sampler): void {
    const gauge = new Gauge({ name, help, labelNames, registers: [] });
    this.sampled.set(name, { gauge, sample });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sampleNow(), this.config.metricsSampleIntervalMs);
    this.timer.unref();
    // A first sample soon after start, when every sampler is registered.
    this.first = setTimeout(() => void this.sampleNow(), 100);
    this.first.unref();
  }

  /** Before the pools close: no sample may start against a closing database. */
  onModuleDestroy(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.first);
  }

  /** Refreshes every sampled gauge; one run at a time. */
  sampleNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.sampling ??= this.sampleAll().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Samples every gauge at once, then sets them all in one synchronous step, so a scrape
   * never sees one gauge of a sample updated and its sibling not.
   */
  private async sampleAll(): Promise<void> {
    const gauges = [...this.sampled.entries()];
    const results = await Promise.allSettled(gauges.map(([, g]) => g.sample()));
    results.forEach((result, i) => {
      const [name, { gauge }] = gauges[i];
      if (result.status === 'rejected') {
        const err: unknown = result.reason;
        this.logger.warn({ err, metric: name }, 'could not sample a metric');
        return;
      }
      gauge.reset();
      if (result.value === undefined) {
        this.registry.removeSingleMetric(name);
        return;
      }
      for (const v of result.value) gauge.set(v.labels ?? {}, v.value);
      if (!this.registry.getSingleMetric(name)) this.registry.registerMetric(gauge);
    });
  }
}
