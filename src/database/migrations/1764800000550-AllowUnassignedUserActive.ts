import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A PATCH that removes `active` leaves it unassigned (RFC 7644 §3.5.2.2) instead of setting
 * the default again, which re-activated deactivated users. New users still default to true.
 */
export class AllowUnassignedUserActive1764800000550 implements MigrationInterface {
  name = 'AllowUnassignedUserActive1764800000550';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users ALTER COLUMN active DROP NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    // Unassigned meant not active, so that is what it becomes.
    await q.query('UPDATE users SET active = false WHERE active IS NULL');
    await q.query('ALTER TABLE users ALTER COLUMN active SET NOT NULL');
  }
}
