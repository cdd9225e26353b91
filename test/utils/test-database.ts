import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresLauncher } from '../../src/database/embedded-postgres.launcher';
import { prepareSchema } from '../../src/database/service-role';

/** Environment variables through which global setup hands the database to test workers: */
/** the service role's URL (what apps under test run as), */
export const TEST_DB_ENV = 'MGMT_E2E_DATABASE_URL';
/** the schema owner's (migrations), */
export const TEST_DB_OWNER_ENV = 'MGMT_E2E_OWNER_DATABASE_URL';
/** and a superuser's on the same database: tests that read across tenants or tamper with the trail. */
export const TEST_DB_SUPERUSER_ENV = 'MGMT_E2E_SUPERUSER_DATABASE_URL';

/**
 * A streaming replica of the TEST_DATABASE_URL server (scripts/replica-check.sh starts the
 * pair): when set, every test app sends its searches there (SEARCH_DATABASE_URL).
 */
export const TEST_REPLICA_ENV = 'TEST_REPLICA_URL';

/** The run's database on the replica server, when there is one. */
export function testReplicaUrl(): string | undefined {
  const server = process.env[TEST_REPLICA_ENV];
  const primary = process.env[TEST_DB_ENV];
  if (!server || !primary) return undefined;
  // The same database and role as on the primary: the replica is a copy of its server.
  const url = new URL(primary);
  const replica = new URL(server);
  url.hostname = replica.hostname;
  url.port = replica.port;
  return url.toString();
}

export interface TestDatabase {
  /** The service role: owns nothing, holds only the service's grants. */
  url: string;
  ownerUrl: string;
  superuserUrl: string;
  stop(): Promise<void>;
}

/** The run's database as an app under test gets it. */
export function testDatabaseEnv(): { DATABASE_URL: string; MIGRATION_DATABASE_URL: string } {
  return {
    DATABASE_URL: process.env[TEST_DB_ENV]!,
    MIGRATION_DATABASE_URL: process.env[TEST_DB_OWNER_ENV]!,
  };
}

/**
 * One PostgreSQL for the whole run, with every migration applied as the owner role and the
 * service role's grants in place: a fresh database (and its two roles) on the server named
 * by TEST_DATABASE_URL when set, otherwise an embedded server in a throw-away folder (the
 * path a new contributor takes).
 */
export async function startTestDatabase(options: { keep?: string } = {}): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  const db = await openDatabase(server, options.keep);
  await prepareSchema(db.ownerUrl, decodeURIComponent(new URL(db.url).username));
  return db;
}

function openDatabase(server: string | undefined, keep?: string): Promise<TestDatabase> {
  if (keep) {
    if (!server) throw new Error('keeping a database needs a server URL');
    return keptDatabaseOn(server, keep);
  }
  return server ? freshDatabaseOn(server) : embedded();
}

async function embedded(): Promise<TestDatabase> {
  // Under the system temp folder: when tests run as root the server runs as the OS user
  // `postgres`, which must be able to reach the folder whatever the checkout's permissions.
  const dir = join(tmpdir(), `mgmt-e2e-pg-${randomBytes(4).toString('hex')}`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const launcher = new EmbeddedPostgresLauncher(dir, port, !!process.env.DEBUG_EMBEDDED_PG);
  const urls = await launcher.start();
  return {
    url: urls.service,
    ownerUrl: urls.owner,
    superuserUrl: urls.superuser,
    stop: async () => {
      await launcher.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.credentials.json`, { force: true });
    },
  };
}

/**
 * A named database on an existing server, made on first use and never dropped, so data that
 * takes long to load (the bench's millions of audit records) is loaded once. Its two roles
 * are named after it and get new passwords on every use.
 */
async function keptDatabaseOn(serverUrl: string, name: string): Promise<TestDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,48}$/.test(name)) throw new Error(`not a database name: ${name}`);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  const passwords = {
    owner: randomBytes(16).toString('hex'),
    service: randomBytes(16).toString('hex'),
  };
  try {
    for (const [kind, password] of Object.entries(passwords)) {
      const role = `${name}_${kind}`;
      const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      await admin.query(
        `${rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD '${password}'`,
      );
    }
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${name} OWNER ${name}_owner`);
  } finally {
    await admin.end();
  }
  return {
    url: urlOn(serverUrl, name, `${name}_service`, passwords.service),
    ownerUrl: urlOn(serverUrl, name, `${name}_owner`, passwords.owner),
    superuserUrl: urlOn(serverUrl, name),
    stop: async () => undefined,
  };
}

/** The server's URL pointed at database `name`, as `user` when given (else the server's). */
function urlOn(serverUrl: string, name: string, user?: string, password?: string): string {
  const url = new URL(serverUrl);
  if (user) {
    url.username = user;
    url.password = password!;
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A new database on an existing server, with its own two roles, as in production: an owner
 * (migrations) and a service role that owns nothing. Roles are cluster-wide and several runs
 * share one server, so their names carry the database's unique name, and both are dropped
 * with it. The server URL must be a superuser's (it also reads and tampers in tests).
 */
async function freshDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `mgmt_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const owner = `${name}_owner`;
  const service = `${name}_service`;
  const ownerPassword = randomBytes(16).toString('hex');
  const servicePassword = randomBytes(16).toString('hex');
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${owner} LOGIN NOSUPERUSER PASSWORD '${ownerPassword}'`);
    await admin.query(`CREATE ROLE ${service} LOGIN NOSUPERUSER PASSWORD '${servicePassword}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${owner}`);
  } finally {
    await admin.end();
  }
  return {
    url: urlOn(serverUrl, name, service, servicePassword),
    ownerUrl: urlOn(serverUrl, name, owner, ownerPassword),
    superuserUrl: urlOn(serverUrl, name),
    stop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${service}`).catch(() => undefined);
        await c.query(`DROP ROLE IF EXISTS ${owner}`).catch(() => undefined);
      } finally {
        await c.end();
      }
    },
  };
}
