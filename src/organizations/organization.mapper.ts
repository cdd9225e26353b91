import { OrganizationRow } from './organization-row';

export const ORGANIZATION_SCHEMA = 'urn:hid:scim:api:idp:2.0:Organization';

export function organizationVersion(row: OrganizationRow): string {
  return `W/"${row.version}"`;
}

export function toOrganizationResource(
  row: OrganizationRow,
  baseUrl: string,
): Record<string, unknown> {
  return {
    schemas: [ORGANIZATION_SCHEMA],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    name: row.name,
    ...(row.parent_id !== null
      ? {
          parent: {
            value: row.parent_id,
            ...(row.parent_external_id !== null ? { externalId: row.parent_external_id } : {}),
            $ref: `${baseUrl}/${row.tenant_id}/v2/Organizations/${row.parent_id}`,
          },
        }
      : {}),
    meta: {
      resourceType: 'Organization',
      created: row.created.toISOString(),
      lastModified: row.last_modified.toISOString(),
      location: `${baseUrl}/${row.tenant_id}/v2/Organizations/${row.id}`,
      version: organizationVersion(row),
    },
  };
}
