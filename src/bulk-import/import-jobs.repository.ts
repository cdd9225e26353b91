import { Injectable } from '@nestjs/common';
import { ImportOptions } from './import-envelope';
import { ImportErrorRow, ImportJobRow, ImportStatus } from './import-job-row';
import { ImportKind } from './import-kinds';
import { Database } from '../database/database';

const COLUMNS = `id, tenant_id, kind, status, import_size, chunk_size, next_index, nb_imported,
  nb_failed, options, failure_reason, created, last_modified`;

/** Import jobs, their waiting chunks of items and their per-item errors. */
@Injectable()
export class ImportJobsRepository {
  constructor(private readonly db: Database) {}

  /** Stores a new job and its items, cut into chunks of `chunkSize`, in two statements. */
  async create(job: {
    id: string;
    tenant: string;
    kind: ImportKind;
    items: unknown[];
    chunkSize: number;
    options: ImportOptions;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO import_jobs (id, tenant_id, kind, status, import_size, chunk_size, options)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6)`,
      [job.id, job.tenant, job.kind, job.items.length, job.chunkSize, JSON.stringify(job.options)],
    );
    const chunks: unknown[][] = [];
    for (let i = 0; i < job.items.length; i += job.chunkSize) {
      chunks.push(job.items.slice(i, i + job.chunkSize));
    }
    // The server splits the document, so one round trip stores any number of chunks.
    await this.db.query(
      `INSERT INTO import_chunks (job_id, chunk_no, items)
       SELECT $1, c.ordinality - 1, c.value FROM json_array_elements($2::json) WITH ORDINALITY c`,
      [job.id, JSON.stringify(chunks)],
    );
  }

  async find(tenant: string, kind: ImportKind, id: string): Promise<ImportJobRow | undefined> {
    const rows = await this.db.query<ImportJobRow>(
      `SELECT ${COLUMNS} FROM import_jobs WHERE tenant_id = $1 AND kind = $2 AND id = $3`,
      [tenant, kind, id],
    );
    return rows[0];
  }

  /**
   * Locks the job for one batch. A job another worker is busy with is skipped (undefined)
   * rather than waited for: that worker carries it on.
   */
  async lockForBatch(id: string): Promise<ImportJobRow | undefined> {
    const rows = await this.db.query<ImportJobRow>(
      `SELECT ${COLUMNS} FROM import_jobs WHERE id = $1 FOR UPDATE SKIP LOCKED`,
      [id],
    );
    return rows[0];
  }

  async readChunk(id: string, chunkNo: number): Promise<unknown[] | undefined> {
    const rows = await this.db.query<{ items: unknown[] }>(
      'SELECT items FROM import_chunks WHERE job_id = $1 AND chunk_no = $2',
      [id, chunkNo],
    );
    return rows[0]?.items;
  }

  async addErrors(id: string, errors: ImportErrorRow[]): Promise<void> {
    if (errors.length === 0) return;
    await this.db.query(
      `INSERT INTO import_errors (job_id, item_index, key_name, key_value, status, scim_type, detail)
       SELECT $1, e.item_index, e.key_name, e.key_value, e.status, e.scim_type, e.detail
       FROM jsonb_to_recordset($2::jsonb) AS e(item_index int, key_name text, key_value text,
         status int, scim_type text, detail text)`,
      [id, JSON.stringify(errors)],
    );
  }

  async errors(id: string): Promise<ImportErrorRow[]> {
    return this.db.query(
      `SELECT item_index, key_name, key_value, status, scim_type, detail FROM import_errors
       WHERE job_id = $1 ORDER BY item_index`,
      [id],
    );
  }

  /**
   * Moves the job on past a batch and, when the batch ended its chunk (`doneChunk`), deletes
   * that chunk in the same statement: one round trip a batch instead of two.
   */
  async advance(
    id: string,
    progress: { nextIndex: number; imported: number; failed: number; status: ImportStatus },
    doneChunk?: number,
  ): Promise<void> {
    await this.db.query(
      `WITH done AS (DELETE FROM import_chunks WHERE job_id = $1 AND chunk_no = $6)
       UPDATE import_jobs SET next_index = $2, nb_imported = nb_imported + $3,
         nb_failed = nb_failed + $4, status = $5, last_modified = date_trunc('milliseconds', now())
       WHERE id = $1`,
      [
        id,
        progress.nextIndex,
        progress.imported,
        progress.failed,
        progress.status,
        doneChunk ?? null,
      ],
    );
  }

  /**
   * Ends a job that cannot go on; what is left of its items is dropped and counted as failed,
   * so nbImported + nbFailed = importSize holds for every ended import.
   */
  async fail(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE import_jobs SET status = 'failed', failure_reason = $2,
         next_index = import_size, nb_failed = import_size - nb_imported, last_modified = date_trunc('milliseconds', now())
       WHERE id = $1`,
      [id, reason],
    );
    await this.db.query('DELETE FROM import_chunks WHERE job_id = $1', [id]);
  }
}
