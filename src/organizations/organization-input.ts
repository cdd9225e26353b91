import { scimError } from '../common/api-error';
import { asObject, member, optionalString, requiredString } from '../scim/scim-members';

export type ParentRef = { value: string } | { externalId: string };

/** An organization as a client sends it (POST, PUT, a patched view, an import item). */
export interface OrganizationInput {
  name: string;
  externalId?: string;
  parent?: ParentRef;
}

/** Reads one organization (API.md §7). */
export function readOrganizationInput(
  value: unknown,
  limits: { stringLength: number },
): OrganizationInput {
  const object = asObject(value, 'organization');
  const organization: OrganizationInput = {
    name: requiredString(object, 'name', limits.stringLength),
  };
  const externalId = optionalString(object, 'externalId', limits.stringLength);
  if (externalId !== undefined) organization.externalId = externalId;
  const parent = member(object, 'parent');
  if (parent !== undefined && parent !== null) {
    organization.parent = readParent(parent, limits.stringLength);
  }
  return organization;
}

function readParent(value: unknown, maxLength: number): ParentRef {
  const parent = asObject(value, 'parent');
  const id = optionalString(parent, 'value', maxLength);
  if (id !== undefined) return { value: id.toLowerCase() };
  const externalId = optionalString(parent, 'externalId', maxLength);
  if (externalId !== undefined) return { externalId };
  throw scimError(
    400,
    'invalidValue',
    'parent must have a "value" (organization id) or an "externalId"',
  );
}

/** How a parent reference is named in an error detail. */
export function describeParent(parent: ParentRef): string {
  return ('value' in parent ? `id ${parent.value}` : `externalId ${parent.externalId}`).slice(
    0,
    80,
  );
}
