/**
 * `npm run bench [scenario ...]`: starts PostgreSQL (BENCH_DATABASE_URL's server with a fresh
 * database, TEST_DATABASE_URL likewise, or an embedded one), the service as its own process,
 * then runs the scenarios in bench/scenarios and prints a Markdown report.
 *
 * Settings: BENCH_CONNECTIONS (16), BENCH_DURATION seconds (10), BENCH_WARMUP seconds (3),
 * BENCH_ROUNDS (3: alternating service/floor rounds of a comparison). Each measured run also
 * reports CPU per request (from /proc, Linux only) of the process serving it, of PostgreSQL
 * (all its processes on this machine, so run nothing else against it) and of the load tool.
 * BENCH_KEEP_DATABASE=name (with BENCH_DATABASE_URL) uses that database on the server, made
 * on first use and kept afterwards, so a scenario that loads data (audit-search) loads it
 * only once.
 */
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startTestDatabase } from '../test/utils/test-database';
import { generateKeyPairSync } from 'node:crypto';
import {
  BENCH_RECORD_KEYS,
  BENCH_SECRET,
  BENCH_TENANT,
  BenchContext,
  Scenario,
  ScenarioReport,
} from './lib/context';
import { buildService, freePort, startNode, stop, waitFor } from './lib/processes';

/** Every scenario file in bench/scenarios exports `scenario`; adding one needs no registry. */
async function loadScenarios(): Promise<Scenario[]> {
  const dir = join(__dirname, 'scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  const modules = await Promise.all(
    files.map((f) => import(join(dir, f)) as Promise<{ scenario?: Scenario }>),
  );
  return modules.flatMap((m) => (m.scenario ? [m.scenario] : []));
}

function table(report: ScenarioReport): string {
  const lines = [
    `### ${report.title}`,
    '',
    '| run | requests | req/s | p50 ms | p99 ms | errors | non-2xx | CPU µs/req: server | PostgreSQL | load tool |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.rows.map(
      ({ label, result: r }) =>
        `| ${label} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ` +
        `${r.cpu?.service ?? ''} | ${r.cpu?.postgres ?? ''} | ${r.cpu?.bench ?? ''} |`,
    ),
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

function databaseKind(): string {
  if (process.env.BENCH_KEEP_DATABASE) return 'PostgreSQL server (kept database)';
  return process.env.TEST_DATABASE_URL
    ? 'PostgreSQL server (fresh database)'
    : 'embedded PostgreSQL';
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenarios = (await loadScenarios()).filter(
    (s) => wanted.length === 0 || wanted.includes(s.name),
  );
  if (scenarios.length === 0) throw new Error(`no scenario matches ${wanted.join(', ')}`);
  const settings = {
    connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
    durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
    warmupSeconds: Number(process.env.BENCH_WARMUP ?? 3),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  };
  if (process.env.BENCH_DATABASE_URL)
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
  buildService();
  const db = await startTestDatabase({ keep: process.env.BENCH_KEEP_DATABASE });
  const port = await freePort();
  const service = startNode('dist/main.js', {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: db.url,
    MIGRATION_DATABASE_URL: db.ownerUrl,
    BOOTSTRAP_TENANTS: BENCH_TENANT,
    BOOTSTRAP_ADMIN_SECRET: BENCH_SECRET,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    AUDIT_RECORD_KEYS: BENCH_RECORD_KEYS,
    AUDIT_SEALING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  });
  const serviceUrl = `http://127.0.0.1:${port}`;
  // The bench's own loading, inspection and floor servers bypass the service's roles and
  // row-level security: they measure the database, not the service's access rules.
  const ctx = new BenchContext(db.superuserUrl, serviceUrl, settings, service.pid);
  try {
    await waitFor(`${serviceUrl}/health/ready`);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write(
      `## Benchmark run ${new Date().toISOString()}\n\n` +
        `Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; ` +
        `database: ${databaseKind()}; ` +
        `load: autocannon, ${settings.connections} connections, ${settings.durationSeconds} s runs after ${settings.warmupSeconds} s warm-up, ${settings.rounds} alternating service/floor rounds, same machine.\n\n`,
    );
    for (const scenario of scenarios) {
      process.stderr.write(`running ${scenario.name}: ${scenario.description}\n`);
      process.stdout.write(table(await scenario.run(ctx)) + '\n');
    }
  } finally {
    await ctx.close();
    await stop(service);
    await db.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
