import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';

/** The tenants table; statements run in the caller's transaction, if any. */
@Injectable()
export class TenantsRepository {
  constructor(private readonly db: Database) {}

  async exists(tenant: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM tenants WHERE id = $1', [tenant]);
    return rows.length > 0;
  }

  /** Creates the tenant if missing; true when it was created now. */
  async insertIfMissing(tenant: string): Promise<boolean> {
    const rows = await this.db.query(
      'INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id',
      [tenant],
    );
    return rows.length > 0;
  }

  /**
   * Serialises the set-up of one tenant across instances until the current transaction
   * ends (bootstrap).
   */
  async lockForSetUp(tenant: string): Promise<void> {
    await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bootstrap:${tenant}`]);
  }
}
