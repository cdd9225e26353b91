import { Logger } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { DataSource, QueryRunner } from 'typeorm';
import { StartupError } from '../common/startup-error';
import { AppConfig } from '../config/app-config';
import { runMigrations } from './migration-runner';
import { migrations } from './migrations';
import { ACROSS_TENANTS_SETTING, TENANT_SETTING } from './tenant-scope';

/**
 * Tables whose rows are never changed or removed: the service role may only add and read
 * them. Adding a table here is the whole change; one that does not exist yet is skipped.
 */
export const APPEND_ONLY_TABLES: readonly string[] = ['audit_records', 'audit_seals'];
/** Tables the service role only reads (the migration ledger, for readiness). */
const READ_ONLY_TABLES: readonly string[] = ['migrations'];
const READ_WRITE = ['DELETE', 'INSERT', 'SELECT', 'UPDATE'];
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
        await applyRowSecurity(runner);
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
 * The service role's privileges, computed from the objects that exist now. Only what differs
 * is changed (a GRANT rewrites the catalogue row even when nothing changes, which would race
 * with DDL elsewhere), and a privilege granted by hand beyond these is taken back.
 */
export async function grantServiceRole(runner: QueryRunner, serviceRole: string): Promise<void> {
  const role = quoteIdent(serviceRole);
  const q = (text: string) => runner.query(text);
  const [schemas] = (await runner.query(
    `SELECT has_schema_privilege($1, 'public', 'CREATE') AS create_public,
            has_schema_privilege($1, 'public', 'USAGE') AS use_public,
            has_schema_privilege($1, $2, 'CREATE') AS create_jobs,
            has_schema_privilege($1, $2, 'USAGE') AS use_jobs`,
    [serviceRole, JOBS_SCHEMA],
  )) as Record<string, boolean>[];
  const jobs = quoteIdent(JOBS_SCHEMA);
  if (schemas.create_public) {
    await q(`REVOKE CREATE ON SCHEMA public FROM PUBLIC, ${role}`);
  }
  if (!schemas.use_public) await q(`GRANT USAGE ON SCHEMA public TO ${role}`);
  if (schemas.create_jobs) await q(`REVOKE CREATE ON SCHEMA ${jobs} FROM PUBLIC, ${role}`);
  if (!schemas.use_jobs) await q(`GRANT USAGE ON SCHEMA ${jobs} TO ${role}`);

  const relations = (await runner.query(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
            c.relispartition AS partition,
            array(SELECT DISTINCT e.privilege_type::text
                    FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e
                   WHERE e.grantee = r.oid ORDER BY 1) AS granted,
            EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e
                     WHERE e.grantee = 0) AS public_granted
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname IN ('public', $2)
       JOIN pg_roles r ON r.rolname = $1
      WHERE c.relkind IN ('r', 'p', 'S')
      ORDER BY 1, 2`,
    [serviceRole, JOBS_SCHEMA],
  )) as {
    schema: string;
    name: string;
    kind: string;
    partition: boolean;
    granted: string[];
    public_granted: boolean;
  }[];
  for (const relation of relations) {
    const wanted = privilegesOn(relation);
    if (!relation.public_granted && relation.granted.join(',') === [...wanted].sort().join(','))
      continue;
    const target = `${relation.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${quoteIdent(relation.schema)}.${quoteIdent(relation.name)}`;
    await q(`REVOKE ALL ON ${target} FROM PUBLIC, ${role}`);
    if (wanted.length > 0) await q(`GRANT ${wanted.join(', ')} ON ${target} TO ${role}`);
  }

  const functions = (await runner.query(
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname IN ('public', $2)
      WHERE NOT has_function_privilege($1, p.oid, 'EXECUTE')`,
    [serviceRole, JOBS_SCHEMA],
  )) as { signature: string }[];
  for (const { signature } of functions) {
    await q(`GRANT EXECUTE ON FUNCTION ${signature} TO ${role}`);
  }

  // Declaring a queue creates a partition of the job table, which only its owner may do:
  // that one function runs as the owner, and the partitions it makes are granted by default.
  const [defaults] = (await runner.query(
    `SELECT EXISTS (
       SELECT 1 FROM pg_default_acl d
         JOIN pg_namespace n ON n.oid = d.defaclnamespace AND n.nspname = $2
         JOIN pg_roles r ON r.rolname = $1
        WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND d.defaclobjtype = 'r'
          AND (SELECT count(*) FROM aclexplode(d.defaclacl) e WHERE e.grantee = r.oid) = 4
     ) AS present`,
    [serviceRole, JOBS_SCHEMA],
  )) as { present: boolean }[];
  if (!defaults.present) {
    await q(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${jobs} GRANT ${READ_WRITE.join(', ')} ON TABLES TO ${role}`,
    );
  }
  const [createQueue] = (await runner.query(
    `SELECT p.prosecdef AS definer FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = $1
      WHERE p.proname = 'create_queue'`,
    [JOBS_SCHEMA],
  )) as { definer: boolean }[];
  if (createQueue && !createQueue.definer) {
    await q(
      `ALTER FUNCTION ${jobs}.create_queue(text, json) SECURITY DEFINER SET search_path = pg_catalog, pg_temp`,
    );
  }
}

/**
 * What the service role holds on one table or sequence. A partition of ours (the audit
 * trail's months) gets nothing: the service reaches its rows through the parent, whose
 * privileges and row-level security are the ones that apply, and a partition granted on
 * its own would be a way around both. pg-boss's partitions keep their default grants.
 */
function privilegesOn(relation: {
  schema: string;
  name: string;
  kind: string;
  partition: boolean;
}): string[] {
  if (relation.kind === 'S') return ['SELECT', 'USAGE'];
  if (relation.schema === 'public' && relation.partition) return [];
  if (relation.schema === 'public' && APPEND_ONLY_TABLES.includes(relation.name))
    return ['INSERT', 'SELECT'];
  if (relation.schema === 'public' && READ_ONLY_TABLES.includes(relation.name)) return ['SELECT'];
  return READ_WRITE;
}

/** The policy every table with a `tenant_id` gets, forced for its owner too. */
export const TENANT_POLICY = 'tenant_isolation';
const TENANT_RULE = `tenant_id = current_setting('${TENANT_SETTING}', true) OR coalesce(current_setting('${ACROSS_TENANTS_SETTING}', true), '') <> ''`;

/**
 * Row-level security on every table of `public` that has a `tenant_id` column, whoever's
 * migration made it: enabled, forced (the owner is bound too) and keyed by the tenant scope
 * the data-access layer sets (src/database/tenant-scope.ts). Only what is missing is
 * changed, so a start takes no table lock once the policies exist.
 */
export async function applyRowSecurity(runner: QueryRunner): Promise<void> {
  const tables = (await runner.query(
    `SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
            p.oid IS NOT NULL AS has_policy
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
       LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = $1
      WHERE c.relkind IN ('r', 'p') AND pg_has_role(current_user, c.relowner, 'USAGE')
      ORDER BY 1`,
    [TENANT_POLICY],
  )) as { name: string; enabled: boolean; forced: boolean; has_policy: boolean }[];
  for (const table of tables) {
    const name = quoteIdent(table.name);
    if (!table.has_policy) {
      await runner.query(
        `CREATE POLICY ${TENANT_POLICY} ON ${name} USING (${TENANT_RULE}) WITH CHECK (${TENANT_RULE})`,
      );
    }
    if (!table.enabled) await runner.query(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`);
    if (!table.forced) await runner.query(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`);
  }
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
