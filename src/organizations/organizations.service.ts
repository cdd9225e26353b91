import { Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { compileListQuery, ListQuery } from '../scim/scim-list-query';
import { OrganizationRow } from './organization-row';
import { ORGANIZATION_FILTER_SCHEMA } from './organizations.filter-schema';
import { OrganizationsRepository } from './organizations.repository';

/** Reads of organizations; they are created by bulk import. */
@Injectable()
export class OrganizationsService {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async get(tenant: string, id: string): Promise<OrganizationRow> {
    const row = await this.organizations.findById(tenant, id);
    if (!row) throw scimError(404, undefined, `Organization ${id.slice(0, 64)} not found`);
    return row;
  }

  async list(
    tenant: string,
    query: ListQuery,
  ): Promise<{ total: number; rows: OrganizationRow[] }> {
    return this.organizations.list(
      tenant,
      compileListQuery(query, ORGANIZATION_FILTER_SCHEMA, { created: 'g.created', id: 'g.id' }),
    );
  }
}
