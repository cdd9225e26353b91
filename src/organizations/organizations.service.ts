import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AuditActionParameters } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { checkIfMatch } from '../scim/scim-etag';
import { computeChanges } from '../scim/scim-changes';
import { applyPatch } from '../scim/scim-patch';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import {
  describeParent,
  OrganizationInput,
  ParentRef,
  readOrganizationInput,
} from './organization-input';
import { NewOrganization, OrganizationRow } from './organization-row';
import { organizationVersion } from './organization.mapper';
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

/** Attribute names of an Organization in schema spelling, for PATCH paths given in any case. */
const CANONICAL = new Map(
  ['name', 'externalId', 'parent', 'value'].map((n) => [n.toLowerCase(), n]),
);

type OrganizationAction = 'createOrganization' | 'updateOrganization' | 'deleteOrganization';

/** Organizations: a tree by `parent`, written by SCIM and bulk import, each change recorded. */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(tenant: string, id: string): Promise<OrganizationRow> {
    const row = await this.organizations.findById(tenant, id);
    if (!row) throw notFound(id);
    return row;
  }

  /** A filtered, sorted page, by index or by cursor (the engine behind every SCIM list). */
  list(tenant: string, request: SearchRequest): Promise<SearchPage<OrganizationSearchRow>> {
    return this.search.list<OrganizationSearchRow>(tenant, ORGANIZATIONS, request);
  }

  @Transactional()
  async create(tenant: string, body: unknown): Promise<OrganizationRow> {
    const input = readOrganizationInput(body, this.config.limits);
    const row = await this.organizations.insert(tenant, await this.toRow(tenant, uuidv7(), input));
    await this.recordChange('createOrganization', undefined, row, {});
    return row;
  }

  @Transactional()
  async replace(
    tenant: string,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<OrganizationRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    return this.save(tenant, existing, readOrganizationInput(body, this.config.limits), 'PUT');
  }

  @Transactional()
  async patch(
    tenant: string,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<OrganizationRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const patched = applyPatch(writableView(existing), body, {
      canonicalName: (n) => CANONICAL.get(n.toLowerCase()) ?? n,
      readOnly: new Set(['id', 'meta', 'schemas']),
    });
    return this.save(tenant, existing, readOrganizationInput(patched, this.config.limits), 'PATCH');
  }

  @Transactional()
  async delete(tenant: string, id: string, ifMatch?: string): Promise<void> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    await this.organizations.delete(tenant, existing.id);
    await this.recordChange('deleteOrganization', existing, undefined, {});
  }

  private async save(
    tenant: string,
    existing: OrganizationRow,
    input: OrganizationInput,
    method: 'PUT' | 'PATCH',
  ): Promise<OrganizationRow> {
    const next = await this.toRow(tenant, existing.id, input);
    if (
      next.parentId !== null &&
      (await this.organizations.isSelfOrDescendant(tenant, existing.id, next.parentId))
    ) {
      throw scimError(
        400,
        'invalidValue',
        'parent must not be the organization itself or one of its descendants',
      );
    }
    const row = await this.organizations.update(tenant, next);
    await this.recordChange('updateOrganization', existing, row, { method });
    return row;
  }

  /**
   * The one place an organization change is recorded, with the stored state before and after
   * it (`undefined` when the organization did not exist on that side) at hand.
   */
  private async recordChange<A extends OrganizationAction>(
    action: A,
    before: OrganizationRow | undefined,
    after: OrganizationRow | undefined,
    extra: Omit<AuditActionParameters[A], 'entityType' | 'entityId'>,
  ): Promise<void> {
    const row = (after ?? before) as OrganizationRow;
    await this.audit.record(action, {
      parameters: {
        entityType: 'Organization',
        entityId: row.id,
        ...extra,
      } as AuditActionParameters[A],
      // From the stored rows before and after, never from the request body.
      changes: computeChanges(
        before ? writableView(before) : null,
        after ? writableView(after) : null,
      ),
    });
  }

  private async lockForChange(
    tenant: string,
    id: string,
    ifMatch?: string,
  ): Promise<OrganizationRow> {
    const row = await this.organizations.findForUpdate(tenant, id);
    if (!row) throw notFound(id);
    checkIfMatch(ifMatch, organizationVersion(row));
    return row;
  }

  /** The row to store: the parent, named by id or externalId, must be of the tenant. */
  private async toRow(
    tenant: string,
    id: string,
    input: OrganizationInput,
  ): Promise<NewOrganization> {
    return {
      id,
      name: input.name,
      externalId: input.externalId ?? null,
      parentId: input.parent ? await this.parentId(tenant, input.parent) : null,
    };
  }

  private async parentId(tenant: string, parent: ParentRef): Promise<string> {
    const found =
      'value' in parent
        ? await this.organizations.findRefs(tenant, [parent.value], [])
        : await this.organizations.findRefs(tenant, [], [parent.externalId]);
    const match = found.find((o) =>
      'value' in parent ? o.id === parent.value : o.external_id === parent.externalId,
    );
    if (!match) {
      throw scimError(
        400,
        'invalidValue',
        `parent ${describeParent(parent)} is not an organization of this tenant`,
      );
    }
    return match.id;
  }
}

/** What a client may change of an organization, in its SCIM spelling: the base of a PATCH. */
function writableView(row: OrganizationRow): Record<string, unknown> {
  return {
    name: row.name,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    ...(row.parent_id !== null ? { parent: { value: row.parent_id } } : {}),
  };
}

function notFound(id: string) {
  return scimError(404, undefined, `Organization ${id.slice(0, 64)} not found`);
}
