import { scimError } from '../common/api-error';
import { describeUnsafe, findUnsafeText, storableCopy } from '../common/text-safety';
import { ImportKindSpec } from './import-kinds';
import { member } from '../scim/scim-members';

/** Options that apply to every item of one import (stored with the job). */
export interface ImportOptions {
  /** Users: the group every imported user joins (HID's `group`). */
  group?: { value: string };
}

export interface ImportEnvelope {
  items: unknown[];
  options: ImportOptions;
}

/**
 * Checks the envelope and the limits before any work starts. Items themselves are judged one
 * by one in the job, so a bad item fails alone; only a body that is not an import at all, or
 * one with too many items, is refused here. Member names are case-insensitive (RFC 7643 §2.1).
 */
export function readImportEnvelope(
  spec: ImportKindSpec,
  body: unknown,
  limits: { maxItems: number; stringLength: number },
): ImportEnvelope {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw scimError(
      400,
      'invalidSyntax',
      `The request body must be a JSON object with a "${spec.bodyKey}" array`,
    );
  }
  const members = body as Record<string, unknown>;
  const items = member(members, spec.bodyKey);
  if (!Array.isArray(items)) {
    throw scimError(400, 'invalidSyntax', `"${spec.bodyKey}" must be an array`);
  }
  if (items.length === 0) {
    throw scimError(400, 'invalidValue', `"${spec.bodyKey}" must contain at least one item`);
  }
  if (items.length > limits.maxItems) {
    throw scimError(
      400,
      'tooMany',
      `At most ${limits.maxItems} ${spec.bodyKey} can be imported in one request; this one has ${items.length}`,
    );
  }
  const options: ImportOptions = {};
  if (spec.kind === 'users') {
    const group = member(members, 'group');
    if (group !== undefined && group !== null)
      options.group = readGroup(group, limits.stringLength);
  }
  return { items: items.map(markUnstorable), options };
}

/**
 * Marks an item whose text PostgreSQL cannot store (NUL, an unpaired surrogate). Such an item
 * cannot wait in the job's jsonb chunks as it came, so the import keeps a storable copy (each
 * bad code unit replaced by U+FFFD) carrying the reason under this member, and the job fails
 * that item alone with it (API.md §8: one bad item fails only itself).
 */
export const REFUSED_ITEM_MEMBER = '$refused';

function markUnstorable(item: unknown): unknown {
  const unsafe = findUnsafeText(item);
  if (!unsafe) return item;
  const copy = storableCopy(item);
  const members = copy && typeof copy === 'object' && !Array.isArray(copy) ? copy : {};
  return { ...members, [REFUSED_ITEM_MEMBER]: describeUnsafe(unsafe) };
}

function readGroup(group: unknown, maxLength: number): { value: string } {
  const value =
    group && typeof group === 'object' && !Array.isArray(group)
      ? member(group as Record<string, unknown>, 'value')
      : undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw scimError(400, 'invalidValue', 'group must be an object with a non-empty "value"');
  }
  if (value.length > maxLength) {
    throw scimError(400, 'invalidValue', `group.value must be at most ${maxLength} characters`);
  }
  const unsafe = findUnsafeText(value, 'group.value');
  if (unsafe) throw scimError(400, 'invalidValue', describeUnsafe(unsafe));
  return { value };
}
