import { freePort, ServiceProcess } from '../utils/service-process';
import { startTestDatabase } from '../utils/test-database';
import { FuzzRequest, FuzzResponse, send } from './http';
import { judge, RAW_CONTROL } from './judge';
import { Random } from './random';
import { FuzzTarget, SURFACES } from './surfaces';

export interface FuzzOptions {
  databaseUrl: string;
  /** The schema owner's URL (migrations). */
  ownerUrl: string;
  seed: number;
  casesPerSurface: number;
  surfaces?: string[];
  /** One case to run again: `<surface>:<case seed>`, as a failure prints it. */
  replay?: string;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  surface: string;
  seed: number;
  problems: string[];
  request: string;
  status?: number;
  body?: string;
}

export interface FuzzReport {
  seed: number;
  surfaces: Record<
    string,
    { cases: number; byClass: Record<string, number>; failures: number; seconds: number }
  >;
  failures: FuzzFailure[];
  logProblems: string[];
  readyAtEnd: boolean;
  seconds: number;
}

const SECRET = 'fuzz-admin-secret-0123456789';
const TENANT = 'fuzz';

/**
 * Starts the service as its own process on the given database, throws seeded cases at each
 * surface, and judges every answer (judge.ts), every log line and readiness at the end.
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const port = await freePort();
  const service = new ServiceProcess({
    DATABASE_URL: o.databaseUrl,
    MIGRATION_DATABASE_URL: o.ownerUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    BOOTSTRAP_TENANTS: TENANT,
    BOOTSTRAP_ADMIN_SECRET: SECRET,
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
    // The fuzz sends thousands of bad credentials from one address: throttled, most would
    // never reach the code they probe.
    AUTH_FAILURE_MAX: '0',
  });
  try {
    await service.waitFor(`http://127.0.0.1:${port}/health/ready`, 120_000);
    const target = await prepare(port);
    const secrets = [SECRET, target.token];
    const report: FuzzReport = {
      seed: o.seed,
      surfaces: {},
      failures: [],
      logProblems: [],
      readyAtEnd: false,
      seconds: 0,
    };
    const cases = plan(o);
    for (const [surface, seeds] of cases) {
      const stats = { cases: 0, byClass: {} as Record<string, number>, failures: 0, seconds: 0 };
      const surfaceStart = Date.now();
      report.surfaces[surface] = stats;
      await pool(seeds, o.concurrency ?? 8, async (seed) => {
        const req = SURFACES[surface](new Random(seed), target);
        let res: FuzzResponse | undefined;
        let problems: string[];
        try {
          res = await send(port, req);
          problems = judge(req, res, secrets);
        } catch (error) {
          problems = [(error as Error).message];
        }
        stats.cases++;
        const cls = res ? `${Math.floor(res.status / 100)}xx` : 'none';
        stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1;
        if (problems.length > 0) {
          stats.failures++;
          report.failures.push({
            surface,
            seed,
            problems,
            request: describe(req),
            status: res?.status,
            body: res?.body.slice(0, 300),
          });
        }
      });
      stats.seconds = Math.round((Date.now() - surfaceStart) / 100) / 10;
      o.log?.(
        `${surface}: ${stats.cases} cases in ${stats.seconds} s, ${JSON.stringify(stats.byClass)}, ${stats.failures} failed`,
      );
    }
    const ready = await send(port, { method: 'GET', path: '/health/ready', headers: {} }).catch(
      () => undefined,
    );
    report.readyAtEnd = ready?.status === 200;
    await removeLogStreams(port, target.tenant, target.token);
    report.logProblems = logProblems(service.text, secrets);
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    return report;
  } finally {
    await service.stop();
  }
}

/** The cases to run: every surface's seeds, or the one case a replay names. */
function plan(o: FuzzOptions): [string, number[]][] {
  if (o.replay) {
    const [surface, seed] = o.replay.split(':');
    if (!SURFACES[surface]) throw new Error(`unknown surface ${surface}`);
    return [[surface, [Number(seed)]]];
  }
  const names = o.surfaces ?? Object.keys(SURFACES);
  return names.map((name) => {
    if (!SURFACES[name]) throw new Error(`unknown surface ${name}`);
    return [
      name,
      Array.from({ length: o.casesPerSurface }, (_, i) => Random.caseSeed(o.seed, name, i)),
    ];
  });
}

/** What every case acts on: an admin token, a user, a registered client. */
async function prepare(port: number): Promise<FuzzTarget> {
  const clientId = `${TENANT}-admin`;
  const auth = `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString('base64')}`;
  const json = async (req: FuzzRequest, expected: number) => {
    const res = await send(port, req);
    if (res.status !== expected)
      throw new Error(`${req.method} ${req.path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as Record<string, any>;
  };
  const form = 'application/x-www-form-urlencoded';
  const { access_token: token } = await json(
    {
      method: 'POST',
      path: `/${TENANT}/authn/token`,
      headers: { Authorization: auth, 'Content-Type': form },
      body: 'grant_type=client_credentials',
    },
    200,
  );
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
  const userName = `fuzz-user-${Date.now()}`;
  const user = await json(
    {
      method: 'POST',
      path: `/${TENANT}/v2/Users`,
      headers,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }),
    },
    201,
  );
  const client = await json(
    {
      method: 'POST',
      path: `/${TENANT}/authn/register`,
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'fuzz target', scope: 'users:read' }),
    },
    201,
  );
  const created = (path: string, body: unknown) =>
    json(
      { method: 'POST', path: `/${TENANT}/v2/${path}`, headers, body: JSON.stringify(body) },
      201,
    );
  const device = await created('Devices', {
    schemas: ['urn:hid:scim:api:idp:2.0:Device'],
    serialNumber: `fuzz-${Date.now()}`,
    type: 'DT_TDSV4',
  });
  const organization = await created('Organizations', {
    schemas: ['urn:hid:scim:api:idp:2.0:Organization'],
    name: 'Fuzz',
    externalId: `fuzz-${Date.now()}`,
  });
  // Those of a run that did not finish, on a shared database.
  await removeLogStreams(port, TENANT, String(token));
  // Port 9 (discard) refuses: deliveries fail and back off, which is all a fuzz needs.
  const stream = await created('LogStreams', { name: 'fuzz', url: 'http://127.0.0.1:9/fuzz' });
  return {
    tenant: TENANT,
    token: String(token),
    clientId,
    secret: SECRET,
    userId: String(user.id),
    userName,
    registeredClientId: String(client.client_id),
    registrationAccessToken: String(client.registration_access_token),
    deviceId: String(device.id),
    organizationId: String(organization.id),
    logStreamId: String(stream.id),
  };
}

/**
 * Log streams are the one thing a run leaves that keeps working: on a shared database other
 * services would deliver them, and a tenant has at most 20. The run removes every one.
 */
async function removeLogStreams(port: number, tenant: string, token: string): Promise<void> {
  const headers = { Authorization: `Bearer ${token}` };
  const path = `/${tenant}/v2/LogStreams`;
  const list = await send(port, { method: 'GET', path, headers });
  const streams = (JSON.parse(list.body) as { Resources?: { id: string }[] }).Resources ?? [];
  for (const { id } of streams)
    await send(port, { method: 'DELETE', path: `${path}/${id}`, headers });
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: size }, worker));
}

/** Raw control characters, secrets or stack traces in the service's own output. */
function logProblems(output: string, secrets: string[]): string[] {
  const problems: string[] = [];
  for (const line of output.split('\n')) {
    if (line === '') continue;
    if (RAW_CONTROL.test(line))
      problems.push(`raw control character: ${JSON.stringify(line.slice(0, 200))}`);
    if (secrets.some((s) => line.includes(s))) problems.push('a secret in a log line');
  }
  return problems;
}

function describe(req: FuzzRequest): string {
  const text = `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body ?? ''}`;
  return JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text);
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/**
 * `npm run fuzz [-- --seed N --cases N --surface name[,name] --replay surface:seed]`: a fresh
 * database (TEST_DATABASE_URL's server, else an embedded one), the service as its own process.
 */
async function main(): Promise<void> {
  const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
  const casesPerSurface = Number(arg('cases') ?? 10_000);
  const db = await startTestDatabase();
  try {
    const report = await runFuzz({
      databaseUrl: db.url,
      ownerUrl: db.ownerUrl,
      seed,
      casesPerSurface,
      surfaces: arg('surface')?.split(','),
      replay: arg('replay'),
      concurrency: Number(arg('concurrency') ?? 8),
      log: (line) => console.log(line),
    });
    const total = Object.values(report.surfaces).reduce((n, s) => n + s.cases, 0);
    console.log(
      `\nseed ${report.seed}: ${total} cases in ${report.seconds} s, ${report.failures.length} failed, ` +
        `${report.logProblems.length} log problems, /health/ready ${report.readyAtEnd ? '200' : 'NOT 200'}`,
    );
    for (const f of report.failures.slice(0, 50)) {
      console.log(`\n[${f.surface}] ${f.problems.join('; ')} (status ${f.status ?? '-'})`);
      console.log(`  request: ${f.request}`);
      if (f.body) console.log(`  body: ${JSON.stringify(f.body)}`);
      console.log(`  replay: npm run fuzz -- --replay ${f.surface}:${f.seed}`);
    }
    for (const p of report.logProblems.slice(0, 20)) console.log(`log: ${p}`);
    const clean =
      report.failures.length === 0 && report.logProblems.length === 0 && report.readyAtEnd;
    process.exitCode = clean ? 0 : 1;
  } finally {
    await db.stop();
  }
}

if (require.main === module) void main();
