import { Injectable } from '@nestjs/common';
import { Histogram, Registry } from 'prom-client';
import { FailureBacklog } from '../audit/failure-backlog';
import { MetricsRegistry } from '../metrics/metrics-registry';

/** The request metrics the reply hooks write, and the rendering of the whole registry. */
@Injectable()
export class MetricsService {
  private readonly requests: Histogram;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly backlog: FailureBacklog,
  ) {
    this.requests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
  }

  get registry() {
    return this.metrics.registry;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status: String(status) }, seconds);
  }

  render(): Promise<string> {
    return Registry.merge([this.metrics.registry, this.backlog.registry]).metrics();
  }
}
