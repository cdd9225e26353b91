import { MigrationInterface, QueryRunner } from 'typeorm';

/** Months of partitions made ahead of the current one (the maintenance tick keeps it so). */
const MONTHS_AHEAD = 3;

/**
 * `audit_records` becomes a table partitioned by month on `created` (docs/scaling.md,
 * "Partitions and retention"), so a time-bounded search reads only its months and retention
 * drops whole months instead of deleting rows.
 *
 * The existing trail is converted without rewriting a record: the table is renamed
 * `audit_records_legacy` and attached, as it is, as the first partition, covering everything
 * before the start of the month after its newest record (or after today). Attaching scans
 * it once for the bound and builds one index (the new key, which must carry the partition
 * key, `created`); every other index is adopted as it stands. Monthly partitions follow it.
 *
 * The key becomes (tenant_id, id, created): PostgreSQL needs the partition key in every
 * unique key of a partitioned table, and tenant_id still leads it. The records' ids stay
 * unique in practice (UUIDv7 made by the service; the backlog's re-insert looks an id up
 * before writing it).
 *
 * What made the table append-only carries over: the parent's row triggers are cloned onto
 * every partition, each partition gets its own truncate trigger, row-level security enabled
 * and forced with the parent's policy, and no privilege of its own for the service role
 * (which reaches the rows only through the parent, where it may insert and read).
 *
 * Partitions are made by `audit_records_add_partitions(months)`, which runs as the owner
 * (SECURITY DEFINER), so the service's maintenance tick can call it without owning the
 * table; dropping one stays the owner's alone (src/audit/audit-retention.service.ts).
 */
export class PartitionAuditRecords1765000001000 implements MigrationInterface {
  name = 'PartitionAuditRecords1765000001000';

  async up(q: QueryRunner): Promise<void> {
    const indexes = (await q.query(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'audit_records'::regclass AND NOT x.indisprimary
        ORDER BY 1`,
    )) as { name: string; definition: string }[];
    const [hash] = (await q.query(
      `SELECT pg_get_functiondef('audit_record_hash(audit_records)'::regprocedure) AS definition`,
    )) as { definition: string }[];

    // The old key (tenant_id, id) cannot serve a partitioned table; the new one replaces it.
    await q.query(`ALTER TABLE audit_records DROP CONSTRAINT audit_records_pkey`);
    await q.query(`ALTER TABLE audit_records RENAME TO audit_records_legacy`);
    for (const index of indexes) {
      await q.query(`ALTER INDEX ${index.name} RENAME TO ${index.name}_legacy`);
    }
    // The parent's row triggers are cloned onto it when it is attached.
    await q.query(`DROP TRIGGER audit_records_stamp ON audit_records_legacy`);
    await q.query(`DROP TRIGGER audit_records_no_update_delete ON audit_records_legacy`);

    await q.query(`
      CREATE TABLE audit_records (LIKE audit_records_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
      PARTITION BY RANGE (created)`);
    // A record written without `created` must be routed to a partition before the insert
    // trigger stamps it; this default is the same instant the trigger stamps.
    await q.query(`
      ALTER TABLE audit_records
        ALTER COLUMN created SET DEFAULT date_trunc('milliseconds', now()),
        ALTER COLUMN correlation_id SET STATISTICS 1000,
        ALTER COLUMN coi SET STATISTICS 1000`);
    await q.query(`ALTER TABLE audit_records ADD PRIMARY KEY (tenant_id, id, created)`);
    for (const index of indexes) await q.query(index.definition);

    // The hash function takes the parent's row (its text names the type, now the parent's);
    // the old one took the renamed table's.
    await q.query(hash.definition);
    await q.query(`DROP FUNCTION audit_record_hash(audit_records_legacy)`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_records_before_insert() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.mac IS NULL THEN
          NEW.created := date_trunc('milliseconds', now());
          -- NEW is the partition's row here; the hash is defined over the parent's.
          NEW.hash := audit_record_hash(jsonb_populate_record(NULL::audit_records, to_jsonb(NEW)));
        END IF;
        NEW.xact_id := pg_current_xact_id();
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_records_stamp BEFORE INSERT ON audit_records
      FOR EACH ROW EXECUTE FUNCTION audit_records_before_insert()`);
    await q.query(`
      CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
      FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
      FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM CURRENT_USER`);
    await copyPolicies(q, 'audit_records_legacy', 'audit_records');

    // The functions that run as the owner read only the schema they were made in.
    const [{ schema }] = (await q.query(`SELECT current_schema() AS schema`)) as {
      schema: string;
    }[];
    for (const definition of [PARTITIONS_FUNCTION, PREPARE, ADD_PARTITIONS_FUNCTION]) {
      await q.query(definition.replace(/@schema/g, `"${schema}"`));
    }

    const [{ bound }] = (await q.query(
      `SELECT ((date_trunc('month', greatest(now(), max(created)) AT TIME ZONE 'UTC')
                + interval '1 month') AT TIME ZONE 'UTC')::text AS bound
         FROM audit_records_legacy`,
    )) as { bound: string }[];
    await q.query(
      `ALTER TABLE audit_records ATTACH PARTITION audit_records_legacy
         FOR VALUES FROM (MINVALUE) TO ('${bound}')`,
    );
    await q.query(`SELECT audit_records_prepare_partition('audit_records_legacy', 'legacy')`);
    await q.query(`SELECT audit_records_add_partitions(${MONTHS_AHEAD})`);
  }

  async down(): Promise<void> {
    throw new Error('The audit trail is append-only; this migration is not reversible.');
  }
}

/** Row-level security of `to` as `from` has it: enabled, forced, the same policies. */
async function copyPolicies(q: QueryRunner, from: string, to: string): Promise<void> {
  const policies = (await q.query(
    `SELECT polname AS name, pg_get_expr(polqual, polrelid) AS using,
            pg_get_expr(polwithcheck, polrelid) AS check
       FROM pg_policy WHERE polrelid = $1::regclass`,
    [from],
  )) as { name: string; using: string | null; check: string | null }[];
  for (const p of policies) {
    await q.query(
      `CREATE POLICY "${p.name}" ON ${to}` +
        (p.using ? ` USING (${p.using})` : '') +
        (p.check ? ` WITH CHECK (${p.check})` : ''),
    );
  }
  await q.query(`ALTER TABLE ${to} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
}

/** The partitions and their ranges (`starts` is -infinity for the legacy one). */
const PARTITIONS_FUNCTION = `
  CREATE FUNCTION audit_record_partitions(OUT name text, OUT starts timestamptz, OUT ends timestamptz)
  RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT c.relname::text,
           CASE WHEN b.bound LIKE 'FOR VALUES FROM (MINVALUE)%' THEN '-infinity'::timestamptz
                ELSE substring(b.bound from $r$FROM \\('([^']*)'\\)$r$)::timestamptz END,
           substring(b.bound from $r$TO \\('([^']*)'\\)$r$)::timestamptz
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
     WHERE i.inhparent = 'audit_records'::regclass
     ORDER BY 2
  $$`;

/**
 * What a new partition needs beyond what PostgreSQL gives it: its indexes named after the
 * parent's (so a plan names the index it uses, whatever the month), the search statistics,
 * row-level security enabled and forced with the parent's policy, the truncate trigger
 * (statement triggers are not cloned), and no privilege of its own.
 */
const PREPARE = `
  CREATE FUNCTION audit_records_prepare_partition(part regclass, suffix text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema, pg_temp AS $$
  DECLARE
    ix record;
    p record;
  BEGIN
    FOR ix IN
      SELECT ci.relname AS child, pi.relname AS parent
        FROM pg_index x
        JOIN pg_class ci ON ci.oid = x.indexrelid
        JOIN pg_inherits h ON h.inhrelid = ci.oid
        JOIN pg_class pi ON pi.oid = h.inhparent
       WHERE x.indrelid = part
    LOOP
      IF ix.child <> ix.parent || '_' || suffix THEN
        EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.child, ix.parent || '_' || suffix);
      END IF;
    END LOOP;
    EXECUTE format('ALTER TABLE %s ALTER COLUMN correlation_id SET STATISTICS 1000,
                      ALTER COLUMN coi SET STATISTICS 1000', part);
    FOR p IN
      SELECT polname, pg_get_expr(polqual, polrelid) AS using_expr,
             pg_get_expr(polwithcheck, polrelid) AS check_expr
        FROM pg_policy
       WHERE polrelid = 'audit_records'::regclass
         AND polname NOT IN (SELECT polname FROM pg_policy WHERE polrelid = part)
    LOOP
      EXECUTE format('CREATE POLICY %I ON %s USING (%s) WITH CHECK (%s)',
                     p.polname, part, p.using_expr, coalesce(p.check_expr, p.using_expr));
    END LOOP;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', part);
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = part AND tgname = 'audit_records_no_truncate') THEN
      EXECUTE format('CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON %s
                      FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change()', part);
    END IF;
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', part);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM CURRENT_USER', part);
  END $$`;

/**
 * Makes the partitions of this month and the next \`months_ahead\` that do not exist yet;
 * answers how many it made. Several instances may call it at once: the lock lets one at a
 * time look and make.
 */
const ADD_PARTITIONS_FUNCTION = `
  CREATE FUNCTION audit_records_add_partitions(months_ahead integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema, pg_temp AS $$
  DECLARE
    this_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    month_start timestamptz;
    month_end timestamptz;
    suffix text;
    made integer := 0;
  BEGIN
    PERFORM pg_advisory_xact_lock(7431002);
    FOR i IN 0..months_ahead LOOP
      month_start := (this_month + make_interval(months => i)) AT TIME ZONE 'UTC';
      month_end := (this_month + make_interval(months => i + 1)) AT TIME ZONE 'UTC';
      CONTINUE WHEN EXISTS (SELECT 1 FROM audit_record_partitions() p
                             WHERE p.ends > month_start AND p.starts < month_end);
      suffix := to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_records FOR VALUES FROM (%L) TO (%L)',
                     'audit_records_' || suffix, month_start, month_end);
      PERFORM audit_records_prepare_partition(format('%I', 'audit_records_' || suffix)::regclass, suffix);
      made := made + 1;
    END LOOP;
    RETURN made;
  END $$`;
