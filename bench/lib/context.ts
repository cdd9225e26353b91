import { ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { CpuSample, cpuPerRequest, sampleCpu } from './cpu';
import { LoadOptions, LoadResult, load } from './load';
import { freePort, startNode, stop, waitFor } from './processes';

export const BENCH_TENANT = 'bench';
export const BENCH_SECRET = 'bench-admin-secret-0123456789';
/** The service's audit record key in a bench run, so a scenario can write records as it would. */
export const BENCH_RECORD_KEYS = `bench:${Buffer.from('bench-record-key-0123456789abcdef').toString('base64')}`;

export interface BenchSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Measured rounds of a comparison; each round runs the service, then its floor. */
  rounds: number;
}

/** A service and its floor measured in alternating rounds, merged, and the ratio per round. */
export interface Comparison {
  service: LoadResult;
  floor: LoadResult;
  /** service rps / floor rps of each round, in order. */
  roundRatios: number[];
}

/** What a scenario gets: a running service on a fresh database, and helpers to load it. */
export class BenchContext {
  readonly pool: Pool;
  private tokens = new Map<string, string>();
  private children: ChildProcess[] = [];
  /** The process serving each URL, whose CPU a measured run reports. */
  private servers = new Map<string, number | undefined>();

  constructor(
    readonly databaseUrl: string,
    readonly serviceUrl: string,
    readonly settings: BenchSettings,
    servicePid?: number,
  ) {
    this.pool = new Pool({ connectionString: databaseUrl, max: 4 });
    this.servers.set(serviceUrl, servicePid);
  }

  /** The process serving a URL (for a scenario that samples its memory). */
  pidOf(url: string): number | undefined {
    return this.servers.get(url);
  }

  /** CPU seconds used so far by the service process (and PostgreSQL, and this process). */
  cpu(): CpuSample {
    return sampleCpu(this.servers.get(this.serviceUrl));
  }

  async adminToken(scope?: string): Promise<string> {
    const key = scope ?? '';
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const res = await fetch(`${this.serviceUrl}/${BENCH_TENANT}/authn/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${BENCH_TENANT}-admin:${BENCH_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
    const token = ((await res.json()) as { access_token: string }).access_token;
    this.tokens.set(key, token);
    return token;
  }

  /** Warm-up run (discarded), then the measured run, with the configured connections. */
  async measure(
    options: Omit<LoadOptions, 'connections' | 'durationSeconds'>,
  ): Promise<LoadResult> {
    const { connections, durationSeconds, warmupSeconds } = this.settings;
    if (warmupSeconds > 0) await load({ ...options, connections, durationSeconds: warmupSeconds });
    return this.measured({ ...options, connections, durationSeconds });
  }

  /** One run, with the CPU per request of the server, PostgreSQL and the load tool. */
  async measured(options: LoadOptions): Promise<LoadResult> {
    const pid = this.servers.get(options.url);
    const before = sampleCpu(pid);
    const result = await load(options);
    const cpu = cpuPerRequest(before, sampleCpu(pid), result.requests);
    return cpu ? { ...result, cpu } : result;
  }

  /**
   * The service against its floor: both warmed up, then `rounds` alternating measured runs
   * (service, floor, service, floor, ...), so drift on a shared machine (checkpoints,
   * autovacuum, other work) lands on both sides instead of on whichever ran second. Merged:
   * requests summed, req/s averaged, p50 the median round's, p99 the worst round's.
   */
  async compare(
    service: Omit<LoadOptions, 'connections' | 'durationSeconds'>,
    floor: Omit<LoadOptions, 'connections' | 'durationSeconds'>,
  ): Promise<Comparison> {
    const { connections, durationSeconds, warmupSeconds, rounds } = this.settings;
    if (warmupSeconds > 0) {
      await load({ ...service, connections, durationSeconds: warmupSeconds });
      await load({ ...floor, connections, durationSeconds: warmupSeconds });
    }
    const runs: { service: LoadResult; floor: LoadResult }[] = [];
    for (let r = 0; r < Math.max(1, rounds); r++) {
      runs.push({
        service: await this.measured({ ...service, connections, durationSeconds }),
        floor: await this.measured({ ...floor, connections, durationSeconds }),
      });
    }
    return {
      service: merge(runs.map((r) => r.service)),
      floor: merge(runs.map((r) => r.floor)),
      roundRatios: runs.map((r) => r.service.rps / r.floor.rps),
    };
  }

  /** Starts an extra process (a floor server) on a free port; stopped at the end. */
  async startServer(
    entry: string,
    env: Record<string, string>,
    readyPath = '/health',
  ): Promise<string> {
    const port = await freePort();
    const child = startNode(entry, { ...env, PORT: String(port), DATABASE_URL: this.databaseUrl });
    this.children.push(child);
    const url = `http://127.0.0.1:${port}`;
    this.servers.set(url, child.pid);
    await waitFor(`${url}${readyPath}`);
    return url;
  }

  async close(): Promise<void> {
    for (const child of this.children) await stop(child);
    await this.pool.end();
  }
}

export interface ScenarioRow {
  label: string;
  result: LoadResult;
}

export interface ScenarioReport {
  title: string;
  rows: ScenarioRow[];
  /** Free-form lines (ratios, targets met or not). */
  notes: string[];
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<ScenarioReport>;
}

function merge(results: LoadResult[]): LoadResult {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const sum = (pick: (r: LoadResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  return {
    requests: sum((r) => r.requests),
    rps: sum((r) => r.rps) / results.length,
    p50: median(results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    ...(results.every((r) => r.cpu) ? { cpu: meanCpu(results.map((r) => r.cpu!)) } : {}),
  };
}

function meanCpu(samples: CpuSample[]): CpuSample {
  const mean = (key: keyof CpuSample) =>
    Math.round(samples.reduce((n, s) => n + s[key], 0) / samples.length);
  return { service: mean('service'), postgres: mean('postgres'), bench: mean('bench') };
}
