import { Injectable } from '@nestjs/common';
import { TenantsRepository } from './tenants.repository';

/** Tenant existence, cached: tenants are created at bootstrap and never removed. */
@Injectable()
export class TenantsService {
  private readonly known = new Set<string>();

  constructor(private readonly tenants: TenantsRepository) {}

  async exists(tenant: string): Promise<boolean> {
    if (this.known.has(tenant)) return true;
    const found = await this.tenants.exists(tenant);
    if (found) this.known.add(tenant);
    return found;
  }

  /** Creates the tenant if missing; true when it was created now. */
  async ensure(tenant: string): Promise<boolean> {
    const created = await this.tenants.insertIfMissing(tenant);
    this.known.add(tenant);
    return created;
  }
}
