import { Injectable } from '@nestjs/common';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import { NewOrganization, OrganizationRef, OrganizationRow } from './organization-row';
import { Database } from '../database/database';
import { scimError } from '../common/api-error';
import { DatabaseError } from '../database/database-error';

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

  /** Locks the row for the rest of the transaction (read-modify-write of PUT and PATCH). */
  async findForUpdate(tenant: string, id: string): Promise<OrganizationRow | undefined> {
    if (!isUuid(id)) return undefined;
    const locked = await this.db.query<{ id: string }>(
      'SELECT id FROM organizations WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [tenant, id],
    );
    return locked.length === 0 ? undefined : this.findById(tenant, id);
  }

  /** Whether `candidate` is `id` itself or one of its descendants (a parent would loop). */
  async isSelfOrDescendant(tenant: string, id: string, candidate: string): Promise<boolean> {
    const rows = await this.db.query<{ found: boolean }>(
      `WITH RECURSIVE tree(id) AS (
         SELECT id FROM organizations WHERE tenant_id = $1 AND id = $2
         UNION
         SELECT o.id FROM organizations o JOIN tree t ON o.parent_id = t.id WHERE o.tenant_id = $1
       )
       SELECT EXISTS (SELECT 1 FROM tree WHERE id = $3) AS found`,
      [tenant, id, candidate],
    );
    return rows[0]?.found === true;
  }

  /** Inserts one organization; an externalId taken in the tenant is 409 `uniqueness`. */
  async insert(tenant: string, organization: NewOrganization): Promise<OrganizationRow> {
    try {
      await this.db.query(
        `INSERT INTO organizations (id, tenant_id, name, external_id, parent_id)
         VALUES ($1, $2, $3, $4, $5)`,
        [
          organization.id,
          tenant,
          organization.name,
          organization.externalId,
          organization.parentId,
        ],
      );
    } catch (error) {
      throw uniqueness(error, organization.externalId);
    }
    return this.read(tenant, organization.id);
  }

  /** Replaces every writable column of an organization and moves its version on. */
  async update(tenant: string, organization: NewOrganization): Promise<OrganizationRow> {
    try {
      await this.db.query(
        `UPDATE organizations SET name = $3, external_id = $4, parent_id = $5,
           version = version + 1, last_modified = date_trunc('milliseconds', now())
         WHERE tenant_id = $1 AND id = $2`,
        [
          tenant,
          organization.id,
          organization.name,
          organization.externalId,
          organization.parentId,
        ],
      );
    } catch (error) {
      throw uniqueness(error, organization.externalId);
    }
    return this.read(tenant, organization.id);
  }

  /** Deletes an organization; one that is still a parent is 409. */
  async delete(tenant: string, id: string): Promise<void> {
    try {
      await this.db.query('DELETE FROM organizations WHERE tenant_id = $1 AND id = $2', [
        tenant,
        id,
      ]);
    } catch (error) {
      if (error instanceof DatabaseError && error.isForeignKeyViolation()) {
        throw scimError(
          409,
          undefined,
          'The organization is the parent of other organizations; move or delete them first',
        );
      }
      throw error;
    }
  }

  private async read(tenant: string, id: string): Promise<OrganizationRow> {
    const row = await this.findById(tenant, id);
    if (!row) throw new Error(`Organization ${id} vanished inside its own transaction`);
    return row;
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

function uniqueness(error: unknown, externalId: string | null): unknown {
  if (
    error instanceof DatabaseError &&
    error.isUniqueViolation('organizations_tenant_external_id')
  ) {
    return scimError(
      409,
      'uniqueness',
      `externalId "${(externalId ?? '').slice(0, 64)}" is already used by an organization of this tenant`,
    );
  }
  return error;
}
