import autocannon from 'autocannon';
import { CpuSample } from './cpu';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** Builds a body for each request (unique names and ids); called once per request. */
  body?: (i: number) => string;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections (paced load); unset: as fast as answered. */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU per request in µs (of the process serving the URL, PostgreSQL, the load tool), where measured. */
  cpu?: CpuSample;
}

/** Shared by every run of the process, so warm-up and measured runs never repeat a name. */
let counter = 0;

/** Runs autocannon against one endpoint and reduces its result to what we report. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: options.method ?? 'POST',
        path: options.path,
        headers: options.headers,
        setupRequest: (req: autocannon.Request) => {
          const i = counter++;
          return {
            ...req,
            ...(options.body ? { body: options.body(i) } : {}),
            headers: { ...req.headers, 'x-correlation-id': `bench-${process.pid}-${i}` },
          };
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
