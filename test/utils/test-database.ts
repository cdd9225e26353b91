import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EmbeddedPostgresLauncher } from '../../src/database/embedded-postgres.launcher';
import { runMigrations } from '../../src/database/migration-runner';
import { migrations } from '../../src/database/migrations';

/** Environment variable through which global setup hands the database to test workers. */
export const TEST_DB_ENV = 'MGMT_E2E_DATABASE_URL';

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
  url: string;
  stop(): Promise<void>;
}

/**
 * One PostgreSQL for the whole run, with every migration applied: a fresh database on the
 * server named by TEST_DATABASE_URL when set, otherwise an embedded server in a throw-away
 * folder (the path a new contributor takes).
 */
export async function startTestDatabase(options: { keep?: string } = {}): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  const db = await openDatabase(server, options.keep);
  const dataSource = await new DataSource({
    type: 'postgres',
    url: db.url,
    migrations,
  }).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
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
  const url = await launcher.start();
  return {
    url,
    stop: async () => {
      await launcher.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.credentials.json`, { force: true });
    },
  };
}

/**
 * A named database on an existing server, made on first use and never dropped, so data that
 * takes long to load (the bench's millions of audit records) is loaded once.
 */
async function keptDatabaseOn(serverUrl: string, name: string): Promise<TestDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a database name: ${name}`);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), stop: async () => undefined };
}

/** A new database (and, where allowed, a non-superuser owner role) on an existing server. */
async function freshDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `mgmt_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  const url = new URL(serverUrl);
  try {
    const role = `${name}_app`;
    const password = randomBytes(16).toString('hex');
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`);
      await admin.query(`CREATE DATABASE ${name} OWNER ${role}`);
      url.username = role;
      url.password = password;
    } catch {
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${name}_app`).catch(() => undefined);
      } finally {
        await c.end();
      }
    },
  };
}
