import { Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import { OrganizationRow } from './organization-row';
import { ORGANIZATION_FILTER_SCHEMA } from './organizations.filter-schema';
import {
  ORGANIZATIONS_TABLE,
  OrganizationsRepository,
  OrganizationSearchRow,
} from './organizations.repository';

const ORGANIZATIONS: SearchSpec = {
  resource: 'Organizations',
  schema: ORGANIZATION_FILTER_SCHEMA,
  defaultSort: { sql: 'g.created', type: 'dateTime' },
  id: 'g.id',
  notNull: new Set(['g.created', 'g.last_modified']),
  table: ORGANIZATIONS_TABLE,
};

/** Reads of organizations; they are created by bulk import. */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly search: SearchService,
  ) {}

  async get(tenant: string, id: string): Promise<OrganizationRow> {
    const row = await this.organizations.findById(tenant, id);
    if (!row) throw scimError(404, undefined, `Organization ${id.slice(0, 64)} not found`);
    return row;
  }

  /** A filtered, sorted page, by index or by cursor (the engine behind every SCIM list). */
  list(tenant: string, request: SearchRequest): Promise<SearchPage<OrganizationSearchRow>> {
    return this.search.list<OrganizationSearchRow>(tenant, ORGANIZATIONS, request);
  }
}
