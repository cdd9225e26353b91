import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { runSql } from '../database/run-sql';

/** Tenant existence, cached: tenants are created at bootstrap and never removed. */
@Injectable()
export class TenantsService {
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  async exists(tenant: string): Promise<boolean> {
    if (this.known.has(tenant)) return true;
    const rows: unknown[] = await runSql(
      this.dataSource.manager,
      'SELECT 1 FROM tenants WHERE id = $1',
      [tenant],
    );
    if (rows.length > 0) this.known.add(tenant);
    return rows.length > 0;
  }

  /** Creates the tenant if missing; true when it was created now. */
  async ensure(tenant: string): Promise<boolean> {
    const rows: unknown[] = await runSql(
      this.dataSource.manager,
      'INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id',
      [tenant],
    );
    this.known.add(tenant);
    return rows.length > 0;
  }
}
