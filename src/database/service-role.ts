import { Logger } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { DataSource, QueryRunner } from 'typeorm';
import { StartupError } from '../common/startup-error';
import { AppConfig } from '../config/app-config';
import { runMigrations } from './migration-runner';
import { migrations } from './migrations';

/**
 * Tables whose rows are never changed or removed: the service role may only add and read
 * them. Adding a table here is the whole change; one that does not exist yet is skipped.
 */
export const APPEND_ONLY_TABLES: readonly string[] = ['audit_records', 'audit_seals'];
/** Tables the service role only reads (the migration ledger, for readiness). */
const READ_ONLY_TABLES: readonly string[] = ['migrations'];
const READ_WRITE = 'SELECT, INSERT, UPDATE, DELETE';
/** pg-boss's schema: the service works its tables but never changes their shape. */
export const JOBS_SCHEMA = 'pgboss';

const logger = new Logger('Database');

/** Who the service's connections run as, and whether that role is too strong. */
export interface ServiceRole {
  name: string;
  superuser: boolean;
  /** Owns (or is a member of the owner of) the audit trail. */
  ownsTrail: boolean;
}

export async function serviceRoleOf(dataSource: DataSource): Promise<ServiceRole> {
  const [row] = await dataSource.query<
    { name: string; superuser: boolean; owns_trail: boolean | null }[]
  >(
    `SELECT current_user AS name, r.rolsuper AS superuser,
            pg_has_role(current_user, c.relowner, 'MEMBER') AS owns_trail
       FROM pg_roles r
       LEFT JOIN pg_class c ON c.oid = to_regclass('public.audit_records')
      WHERE r.rolname = current_user`,
  );
  return { name: row.name, superuser: row.superuser, ownsTrail: !!row.owns_trail };
}

/**
 * Brings the schema up to date as its owner, under the migration lock, then (idempotently,
 * at every start) grants the service role exactly what it needs. With one role for both
 * (development), the grants are skipped: a role cannot be kept from its own tables.
 */
export async function prepareSchema(ownerUrl: string, serviceRole: string): Promise<void> {
  const owner = await new DataSource({
    type: 'postgres',
    url: ownerUrl,
    migrations,
    // Two connections: one holds the migration lock while the other migrates.
    extra: { max: 2, application_name: 'management-api migrations' },
  }).initialize();
  try {
    await runMigrations(owner, async (runner) => {
      await installJobSchema(ownerUrl);
      await inTransaction(runner, async () => {
        const [me] = (await runner.query('SELECT current_user AS name')) as { name: string }[];
        if (me.name !== serviceRole) await grantServiceRole(runner, serviceRole);
      });
    });
  } finally {
    await owner.destroy();
  }
}

/** Creates or upgrades pg-boss's schema; the service's own pg-boss never changes it. */
async function installJobSchema(ownerUrl: string): Promise<void> {
  const boss = new PgBoss({
    connectionString: ownerUrl,
    schema: JOBS_SCHEMA,
    max: 1,
    supervise: false,
    schedule: false,
    migrate: true,
  });
  await boss.start();
  await boss.stop({ graceful: false, wait: true, timeout: 1000 });
}

async function inTransaction(runner: QueryRunner, work: () => Promise<void>): Promise<void> {
  await runner.startTransaction();
  try {
    await work();
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
}

/**
 * The service role's privileges, computed from the tables that exist now: everything is
 * revoked and granted again, so a privilege granted by hand does not survive a restart.
 */
export async function grantServiceRole(runner: QueryRunner, serviceRole: string): Promise<void> {
  const role = quoteIdent(serviceRole);
  const q = (text: string) => runner.query(text);
  await q(`REVOKE ALL ON SCHEMA public FROM ${role}`);
  await q(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  await q(`GRANT USAGE ON SCHEMA public TO ${role}`);
  const tables = (await runner.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  )) as { name: string }[];
  for (const { name } of tables) {
    const table = quoteIdent(name);
    await q(`REVOKE ALL ON TABLE ${table} FROM PUBLIC, ${role}`);
    await q(`GRANT ${privilegesOn(name)} ON TABLE ${table} TO ${role}`);
  }
  await q(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
  await q(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role}`);

  const jobs = quoteIdent(JOBS_SCHEMA);
  await q(`REVOKE ALL ON SCHEMA ${jobs} FROM ${role}`);
  await q(`GRANT USAGE ON SCHEMA ${jobs} TO ${role}`);
  await q(`GRANT ${READ_WRITE} ON ALL TABLES IN SCHEMA ${jobs} TO ${role}`);
  await q(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${jobs} TO ${role}`);
  await q(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${jobs} TO ${role}`);
  // Declaring a queue creates a partition of the job table, which only its owner may do:
  // that one function runs as the owner, and the partitions it makes are granted like the rest.
  await q(
    `ALTER FUNCTION ${jobs}.create_queue(text, json) SECURITY DEFINER SET search_path = pg_catalog, pg_temp`,
  );
  await q(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${jobs} GRANT ${READ_WRITE} ON TABLES TO ${role}`);
}

function privilegesOn(table: string): string {
  if (APPEND_ONLY_TABLES.includes(table)) return 'SELECT, INSERT';
  if (READ_ONLY_TABLES.includes(table)) return 'SELECT';
  return READ_WRITE;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Refuses, in production, to run as a superuser or as the trail's owner (either could
 * rewrite the trail and cover it up); elsewhere says so once.
 */
export function checkServiceRole(role: ServiceRole, config: AppConfig): void {
  const problem = role.superuser
    ? `DATABASE_URL connects as the superuser ${role.name}`
    : role.ownsTrail
      ? `DATABASE_URL connects as ${role.name}, the owner of the audit trail`
      : undefined;
  if (!problem) return;
  const fix =
    'use a role that owns nothing for DATABASE_URL and give the owner as MIGRATION_DATABASE_URL (docs/operations.md)';
  if (config.nodeEnv === 'production') throw new StartupError(`${problem}: ${fix}.`);
  logger.warn(`${problem}, which could rewrite the audit trail unnoticed: in production, ${fix}.`);
}
