import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable bulk imports. A job row (id = COI) holds the progress cursor (`next_index`) and counters; the
 * submitted items wait in chunks (one row per batch-sized slice, deleted as each is consumed,
 * so submitted data such as passwords does not outlive its batch); per-item errors are kept
 * for the status document. A batch commits its entities, audit records, errors and the
 * advanced cursor together, which is what makes a resumed job exact.
 */
export class CreateImportJobs1763800000030 implements MigrationInterface {
  name = 'CreateImportJobs1763800000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_jobs (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        kind text NOT NULL CHECK (kind IN ('users', 'devices', 'organizations')),
        status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        import_size integer NOT NULL CHECK (import_size >= 0),
        chunk_size integer NOT NULL CHECK (chunk_size > 0),
        next_index integer NOT NULL DEFAULT 0,
        nb_imported integer NOT NULL DEFAULT 0,
        nb_failed integer NOT NULL DEFAULT 0,
        options jsonb NOT NULL DEFAULT '{}'::jsonb,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        last_modified timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CHECK (next_index <= import_size AND nb_imported + nb_failed = next_index)
      )`);
    await q.query(`CREATE INDEX import_jobs_tenant_created ON import_jobs (tenant_id, created)`);
    await q.query(`
      CREATE TABLE import_chunks (
        job_id text NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        chunk_no integer NOT NULL,
        items json NOT NULL,
        PRIMARY KEY (job_id, chunk_no)
      )`);
    // Items are written once, read once as a whole and deleted: json (kept as sent) and no
    // compression spare the CPU that jsonb conversion and pglz would cost on both sides.
    await q.query(`ALTER TABLE import_chunks ALTER COLUMN items SET STORAGE EXTERNAL`);
    await q.query(`
      CREATE TABLE import_errors (
        job_id text NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
        item_index integer NOT NULL,
        key_name text,
        key_value text,
        status integer NOT NULL,
        scim_type text,
        detail text NOT NULL,
        PRIMARY KEY (job_id, item_index)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE import_errors');
    await q.query('DROP TABLE import_chunks');
    await q.query('DROP TABLE import_jobs');
  }
}
