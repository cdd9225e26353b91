import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an import ended `failed` (the whole job could not run), shown in its status document;
 * null for every other import.
 */
export class AddImportFailureReason1764800000300 implements MigrationInterface {
  name = 'AddImportFailureReason1764800000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE import_jobs ADD COLUMN failure_reason text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE import_jobs DROP COLUMN failure_reason');
  }
}
