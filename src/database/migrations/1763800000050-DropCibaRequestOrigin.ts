import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A CIBA flow's originating context lives in its jobs' envelopes only (the expiry job's, which
 * later work for the flow continues from), so the copy in `ciba_requests.origin` goes.
 */
export class DropCibaRequestOrigin1763800000050 implements MigrationInterface {
  name = 'DropCibaRequestOrigin1763800000050';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE ciba_requests DROP COLUMN origin');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ciba_requests ADD COLUMN origin jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }
}
