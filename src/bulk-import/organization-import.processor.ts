import { computeChanges } from '../scim/scim-changes';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import {
  describeParent,
  ParentRef,
  readOrganizationInput,
} from '../organizations/organization-input';
import { NewOrganization } from '../organizations/organization-row';
import { OrganizationsRepository } from '../organizations/organizations.repository';
import {
  BatchOutcomes,
  ImportItem,
  ImportProcessor,
  insertIsolating,
  invalidValue,
  ItemNames,
  ItemOutcome,
  keyOf,
  readItems,
  uniqueness,
  UNSTORABLE_ITEM,
} from './import-item';

/**
 * Creates imported organizations in submission order, so a parent named by externalId may be
 * an earlier item of the same import. ExternalIds are unique per tenant.
 */
@Injectable()
export class OrganizationImportProcessor implements ImportProcessor {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async process(tenant: string, items: ImportItem[]): Promise<ItemOutcome[]> {
    const read = readItems(items, (v) => readOrganizationInput(v, this.config.limits));
    const valid = read.flatMap((r) => (r.value ? [r.value] : []));
    const known = await this.organizations.findRefs(
      tenant,
      valid.flatMap((o) => (o.parent && 'value' in o.parent ? [o.parent.value] : [])),
      valid.flatMap((o) => [
        ...(o.externalId !== undefined ? [o.externalId] : []),
        ...(o.parent && 'externalId' in o.parent ? [o.parent.externalId] : []),
      ]),
    );
    const ids = new Set(known.map((k) => k.id));
    // Existing organizations, then each accepted item as it comes: parents precede children.
    const byExternalId = new Map(
      known.flatMap((k) => (k.external_id !== null ? [[k.external_id, k.id] as const] : [])),
    );
    const batch = new BatchOutcomes<NewOrganization>();
    for (const { item, value: organization, error } of read) {
      if (error) {
        batch.fail(item.index, error, namesOf(item.value));
        continue;
      }
      const names = namesOf(organization);
      if (organization.externalId !== undefined && byExternalId.has(organization.externalId)) {
        batch.fail(item.index, taken(organization.externalId), names);
        continue;
      }
      const parent = organization.parent;
      const parentId = parent ? this.parentId(parent, ids, byExternalId) : null;
      if (parent && parentId === undefined) {
        batch.fail(
          item.index,
          invalidValue(`parent ${describeParent(parent)} is not an organization of this tenant`),
          names,
        );
        continue;
      }
      const row: NewOrganization = {
        id: uuidv7(),
        name: organization.name,
        externalId: organization.externalId ?? null,
        parentId: parentId ?? null,
      };
      if (row.externalId !== null) byExternalId.set(row.externalId, row.id);
      batch.accept(item.index, row);
    }
    const { inserted, refused } = await insertIsolating(
      this.db,
      batch.rows,
      (row) => row.id,
      (rows) => this.organizations.insertMany(tenant, rows),
    );
    // A row is skipped only when a concurrent writer took its externalId after the check.
    return batch.settle((row) =>
      inserted.has(row.id)
        ? {
            details: {
              parameters: { entityType: 'Organization', entityId: row.id },
              changes: computeChanges(null, organizationChangeView(row)),
            },
          }
        : refused.has(row.id)
          ? { error: UNSTORABLE_ITEM, names: namesOf(row) }
          : { error: taken(row.externalId ?? ''), names: namesOf({ externalId: row.externalId }) },
    );
  }

  private parentId(parent: ParentRef, ids: Set<string>, byExternalId: Map<string, string>) {
    if ('value' in parent) return ids.has(parent.value) ? parent.value : undefined;
    return byExternalId.get(parent.externalId);
  }
}

/** An organization is named by its externalId, else its name. */
function namesOf(value: unknown): ItemNames {
  const externalId = keyOf(value, 'externalId');
  if (externalId !== undefined) return { key: { name: 'externalId', value: externalId } };
  const name = keyOf(value, 'name');
  return name !== undefined ? { key: { name: 'name', value: name } } : {};
}

function taken(externalId: string) {
  return uniqueness(
    `externalId "${externalId.slice(0, 64)}" is already used by an organization of this tenant`,
  );
}

/** An inserted organization in its SCIM attribute names, as its record's `changes` list it. */
function organizationChangeView(row: NewOrganization): Record<string, unknown> {
  return {
    name: row.name,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    ...(row.parentId !== null ? { parent: { value: row.parentId } } : {}),
  };
}
