import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Devices and organizations became writable under the new scope `devices:write`. Admin
 * clients made before it existed hold every other management scope and would lack it; new
 * ones get it at bootstrap.
 */
export class GrantDevicesWriteToAdmins1765000000500 implements MigrationInterface {
  name = 'GrantDevicesWriteToAdmins1765000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE clients SET scopes = array_append(scopes, 'devices:write')
       WHERE metadata->>'bootstrap' = 'true' AND NOT ('devices:write' = ANY(scopes))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE clients SET scopes = array_remove(scopes, 'devices:write')`);
  }
}
