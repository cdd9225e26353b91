import { Injectable } from '@nestjs/common';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import { NewOrganization, OrganizationRef, OrganizationRow } from './organization-row';
import { Database } from '../database/database';

const COLUMNS = `g.id, g.tenant_id, g.name, g.external_id, g.parent_id,
  p.external_id AS parent_external_id, g.version, g.created, g.last_modified`;
const FROM =
  'organizations g LEFT JOIN organizations p ON p.tenant_id = g.tenant_id AND p.id = g.parent_id';
export const ORGANIZATIONS_TABLE: SearchTable = {
  from: FROM,
  tenantColumn: 'g.tenant_id',
  columns: COLUMNS,
};

/** Organizations table access, always through the CLS transaction's EntityManager. */
@Injectable()
export class OrganizationsRepository {
  constructor(private readonly db: Database) {}

  async findById(tenant: string, id: string): Promise<OrganizationRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<OrganizationRow>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE g.tenant_id = $1 AND g.id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  /** The organizations of the tenant with one of these ids or externalIds. */
  async findRefs(tenant: string, ids: string[], externalIds: string[]): Promise<OrganizationRef[]> {
    if (ids.length === 0 && externalIds.length === 0) return [];
    return this.db.query(
      `SELECT id, external_id FROM organizations
       WHERE tenant_id = $1 AND (id = ANY($2::uuid[]) OR external_id = ANY($3::text[]))`,
      [tenant, ids.filter(isUuid), externalIds],
    );
  }

  /**
   * Inserts many organizations in one statement (bulk import), parents before children; an
   * externalId already used in the tenant is skipped. Returns the ids that were inserted.
   */
  async insertMany(tenant: string, organizations: NewOrganization[]): Promise<Set<string>> {
    if (organizations.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO organizations (id, tenant_id, name, external_id, parent_id)
       SELECT x.id, $1, x.name, x.external_id, x.parent_id
       FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, name text, external_id text, parent_id uuid)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        tenant,
        JSON.stringify(
          organizations.map((o) => ({
            id: o.id,
            name: o.name,
            external_id: o.externalId,
            parent_id: o.parentId,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }
}

export type OrganizationSearchRow = OrganizationRow & { sort_key: string | null };
