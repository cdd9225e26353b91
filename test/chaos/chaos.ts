import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { prepareSchema } from '../../src/database/service-role';
import { PostgresProcess } from '../utils/service-instance';
import { freePort, REPO_ROOT } from '../utils/service-process';
import { checkInvariants } from './invariants';
import { Monitor, ServiceUnderTest } from './service';
import { Attempt, seeded, Writer } from './writers';

/**
 * `npm run chaos`: a steady stream of mixed writes while the service is SIGKILLed and its
 * PostgreSQL restarted at random moments, then the invariants of API.md §5 checked in SQL
 * (docs/reliability.md, "Chaos"). Exits 1 on any broken invariant.
 */
interface Options {
  duration: number;
  kills: number;
  dbRestarts: number;
  seed: number;
  rate: number;
  clients: number;
}

const TENANT = 'chaos';
const SECRET = 'chaos-admin-secret-0123456789';
const SERVICE_ROLE = 'app_service';

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '300' },
      kills: { type: 'string', default: '20' },
      'db-restarts': { type: 'string', default: '5' },
      seed: { type: 'string' },
      rate: { type: 'string', default: '20' },
      clients: { type: 'string', default: '4' },
    },
  });
  return {
    duration: Number(values.duration),
    kills: Number(values.kills),
    dbRestarts: Number(values['db-restarts']),
    seed: Number(values.seed ?? Math.floor(Math.random() * 2 ** 31)),
    rate: Number(values.rate),
    clients: Number(values.clients),
  };
}

/** Audit keys of the run's own: the trail must verify across every process it had. */
function auditKeys(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    AUDIT_RECORD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    AUDIT_SEALING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The moments of the faults: uniform over the run, in a seeded random order. */
function schedule(o: Options, random: () => number): { at: number; kind: 'kill' | 'db' }[] {
  const events = [
    ...Array.from({ length: o.kills }, () => 'kill' as const),
    ...Array.from({ length: o.dbRestarts }, () => 'db' as const),
  ].map((kind) => ({ kind, at: (0.03 + 0.87 * random()) * o.duration * 1000 }));
  return events.sort((a, b) => a.at - b.at);
}

async function main(): Promise<number> {
  const o = options();
  const random = seeded(o.seed ^ 0x5eed);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(
    `seed ${o.seed}: ${o.duration} s, ${o.kills} kills, ${o.dbRestarts} database restarts, ${o.rate} writes/s from ${o.clients} clients`,
  );
  // The compiled service (as `npm start` runs it): each of the many restarts is quicker.
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-stale.js')], {
    stdio: 'inherit',
  });
  const dir = join(tmpdir(), `mgmt-chaos-pg-${randomBytes(4).toString('hex')}`);
  const pgPort = await freePort();
  let pg = await PostgresProcess.start(dir, pgPort);
  const superuser = pg.superuserUrl;
  await prepareSchema(pg.ownerUrl, SERVICE_ROLE);
  const service = new ServiceUnderTest(
    {
      NODE_ENV: 'test',
      DATABASE_URL: pg.url,
      MIGRATION_DATABASE_URL: pg.ownerUrl,
      HOST: '127.0.0.1',
      BOOTSTRAP_TENANTS: TENANT,
      BOOTSTRAP_ADMIN_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      // Small batches and short expiry: kills land mid-import, and a dead worker's job is
      // taken up again within seconds.
      IMPORT_BATCH_SIZE: '4',
      IMPORT_JOB_EXPIRE_SECONDS: '8',
      JOBS_MAINTENANCE_INTERVAL_SECONDS: '1',
      AUDIT_SEAL_INTERVAL_SECONDS: '2',
      ...auditKeys(),
    },
    TENANT,
    SECRET,
  );
  const started = Date.now();
  let code = 1;
  try {
    await service.start();
    const target = await service.prepare();
    const writers = Array.from(
      { length: o.clients },
      (_, i) => new Writer(`chaos-${o.seed}-c${i + 1}`, target, o.seed + i + 1, o.rate / o.clients),
    );
    const monitor = new Monitor(service);
    let stopping = false;
    const running = writers.map((w) => w.run(() => stopping));
    const monitoring = monitor.run(() => stopping);
    const t0 = Date.now();
    let kills = 0;
    let restarts = 0;
    const events: { at: number; what: string }[] = [];
    for (const event of schedule(o, random)) {
      // Each fault waits for some service time after the last one: on a slow machine a
      // restart takes seconds, and faults landing back to back would test only start-up.
      const up = Date.now() + 2000 + random() * 6000;
      const wait = Math.max(t0 + event.at, up) - Date.now();
      if (wait > 0) await sleep(wait);
      if (event.kind === 'kill') {
        await service.kill();
        kills++;
        events.push({ at: Date.now(), what: 'K' });
        log(`kill ${kills}/${o.kills}: service SIGKILLed, restarting`);
        await service.start();
      } else {
        const immediate = restarts % 2 === 1;
        if (immediate) await pg.stopImmediately();
        else await pg.stop();
        restarts++;
        events.push({ at: Date.now(), what: immediate ? 'Di' : 'Df' });
        const down = 1000 + random() * 4000;
        log(
          `database restart ${restarts}/${o.dbRestarts} (${immediate ? 'immediate' : 'fast'} shutdown), down ${Math.round(down)} ms`,
        );
        await sleep(down);
        pg = await PostgresProcess.start(dir, pgPort);
      }
    }
    const rest = t0 + o.duration * 1000 - Date.now();
    if (rest > 0) await sleep(rest);
    stopping = true;
    await Promise.all(running);
    await monitoring;
    log('writes stopped; waiting for imports, the failure backlog and the sealer');

    const db = new Client({ connectionString: superuser });
    await db.connect();
    try {
      await settle(db, monitor, log);
      const verify = await service.verify();
      const attempts = writers.flatMap((w) => w.attempts);
      const checks = await checkInvariants(db, TENANT, attempts, (a) => monitor.promised(a));
      timeline(attempts, events, t0, log);
      for (const [msg, n] of service.logSummary().slice(0, 8)) log(`  log ×${n}: ${msg}`);
      for (const note of checks.flatMap((c) => c.notes ?? []).slice(0, 5)) {
        const id = /request ([0-9a-f-]{36})/.exec(note)?.[1];
        for (const line of id ? service.linesAbout(id).slice(0, 2) : [])
          log(`  in doubt: ${line.slice(0, 600)}`);
      }
      for (const a of attempts.filter(
        (x) => x.status !== undefined && x.status >= 500 && x.status !== 503,
      ))
        for (const line of service.linesAbout(a.requestId ?? '-').slice(0, 3))
          log(`  ${a.status}: ${line.slice(0, 1500)}`);
      code = report(
        o,
        attempts,
        checks,
        verify,
        { kills, restarts, seconds: (Date.now() - started) / 1000, monitor },
        log,
      );
    } finally {
      await db.end();
    }
  } catch (error) {
    console.error(error);
    console.error(service.tail());
  } finally {
    await service.stop();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.credentials.json`, { force: true });
  }
  return code;
}

/** Waits for every import to end, the failure backlog to empty and the sealer to catch up. */
async function settle(db: Client, monitor: Monitor, log: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [{ open }] = (
      await db.query(
        `SELECT count(*)::int AS open FROM import_jobs WHERE tenant_id = $1 AND status IN ('pending', 'running')`,
        [TENANT],
      )
    ).rows;
    const backlog = await monitor.sample();
    const [{ records }] = (await db.query('SELECT records::int FROM audit_sealing_lag()')).rows;
    if (open === 0 && backlog?.backlog === 0 && records === 0) return;
    if (Date.now() > deadline) {
      log(
        `not settled: ${open} imports open, backlog ${backlog?.backlog}, ${records} unsealed records`,
      );
      return;
    }
    await sleep(1000);
  }
}

/**
 * Answers per 10 s with the faults that fell in each slice (K: kill, Df/Di: database fast or
 * immediate restart), so a run shows where refusals came from.
 */
function timeline(
  attempts: Attempt[],
  events: { at: number; what: string }[],
  t0: number,
  log: (l: string) => void,
): void {
  const slices = new Map<number, Record<string, number>>();
  for (const a of attempts) {
    const slice = Math.floor((a.sentAt - t0) / 10_000);
    const counts = slices.get(slice) ?? {};
    const cls = a.status === undefined ? '-' : `${Math.floor(a.status / 100)}xx`;
    counts[cls] = (counts[cls] ?? 0) + 1;
    slices.set(slice, counts);
  }
  for (const [slice, counts] of [...slices].sort((x, y) => x[0] - y[0])) {
    const faults = events
      .filter((e) => Math.floor((e.at - t0) / 10_000) === slice)
      .map((e) => e.what)
      .join(' ');
    log(`  t+${String(slice * 10).padStart(4)} s: ${JSON.stringify(counts)} ${faults}`);
  }
}

function report(
  o: Options,
  attempts: Attempt[],
  checks: Awaited<ReturnType<typeof checkInvariants>>,
  verify:
    | {
        verified: boolean;
        checkedRecords: number;
        checkedSeals: number;
        unsealedRecords: number;
        firstFailure: unknown;
      }
    | undefined,
  run: { kills: number; restarts: number; seconds: number; monitor: Monitor },
  log: (l: string) => void,
): number {
  const by = (f: (a: Attempt) => string) =>
    attempts.reduce<Record<string, number>>((m, a) => ((m[f(a)] = (m[f(a)] ?? 0) + 1), m), {});
  const cls = (a: Attempt) =>
    a.status === undefined ? 'no answer' : `${Math.floor(a.status / 100)}xx`;
  log(`${attempts.length} writes in ${Math.round(run.seconds)} s: ${JSON.stringify(by(cls))}`);
  log(`by operation: ${JSON.stringify(by((a) => `${a.op} ${cls(a)}`))}`);
  log(`statuses: ${JSON.stringify(by((a) => String(a.status ?? '-')))}`);
  const details = by((a) => (a.detail ? `${a.status ?? '-'} ${a.detail.slice(0, 160)}` : ''));
  delete details[''];
  for (const [detail, n] of Object.entries(details)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5))
    log(`  ${n} × ${detail}`);
  log(
    `faults: ${run.kills} service kills, ${run.restarts} database restarts; ${run.monitor.samples} backlog samples`,
  );
  let broken = 0;
  for (const c of checks) {
    log(
      `${c.violations.length === 0 ? 'ok  ' : 'FAIL'} ${c.name}: ${c.checked} checked, ${c.violations.length} violations`,
    );
    for (const v of c.violations.slice(0, 10)) log(`       ${v}`);
    for (const n of c.notes?.slice(0, 10) ?? []) log(`       note: ${n}`);
    broken += c.violations.length;
  }
  const verified = verify?.verified === true;
  log(`${verified ? 'ok  ' : 'FAIL'} trail verifies: ${JSON.stringify(verify)}`);
  const short = run.kills < o.kills || run.restarts < o.dbRestarts;
  if (short) log('FAIL fewer faults than asked');
  const ok = broken === 0 && verified && !short;
  log(ok ? `PASS (seed ${o.seed})` : `FAILED (seed ${o.seed}): replay with --seed ${o.seed}`);
  return ok ? 0 : 1;
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
