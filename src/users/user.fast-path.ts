import { UserDto } from './user.dto';
import { WRITABLE_USER_ATTRIBUTES } from './user-attributes';
import { canonicaliseKeys, checkUser, UserLimits, validateUser } from './user.mapper';

/** The writable attributes of UserDto and what each must be (kept equal by the unit spec). */
export const FAST_PATH_ATTRIBUTES = WRITABLE_USER_ATTRIBUTES;

const A = FAST_PATH_ATTRIBUTES;
const STRINGS = new Set<string>(A.strings);
const BOOLEANS = new Set<string>(A.booleans);
const NAME = new Set<string>(A.name);
const MULTI = new Set<string>(A.multiValued);
const ITEM = {
  strings: new Set<string>(A.multiValuedItem.strings),
  booleans: new Set<string>(A.multiValuedItem.booleans),
};
const ADDRESS = {
  strings: new Set<string>(A.address.strings),
  booleans: new Set<string>(A.address.booleans),
};
const READ_ONLY = new Set(['id', 'meta', 'groups']);

/**
 * validateUser with a fast path, used by POST, PUT and PATCH /Users and by bulk import:
 * class-transformer and class-validator cost more CPU than the database work per user. A
 * body whose every member already has exactly the type UserDto declares, and nothing else, is
 * one the class-validator path would accept unchanged (no conversion, nothing for
 * `whitelist` to strip): it only needs the checks beyond the types. Anything else goes the
 * slow path, which also words every error.
 */
export function validateUserFast(body: unknown, limits: UserLimits): UserDto {
  return validateCanonicalUserFast(isObject(body) ? canonicaliseKeys(body) : body, limits);
}

/** validateUserFast for a body whose keys are canonical already (canonicaliseKeys). */
export function validateCanonicalUserFast(body: unknown, limits: UserLimits): UserDto {
  const plain = isObject(body) ? plainUser(body) : undefined;
  // The slow path canonicalises again, which changes nothing.
  return plain ? checkUser(plain, limits) : validateUser(body, limits);
}

function plainUser(body: Record<string, unknown>): UserDto | undefined {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    const value = body[key];
    if (READ_ONLY.has(key)) continue;
    if (key === 'schemas') {
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string'))
        return undefined;
      out.schemas = [...value];
    } else if (STRINGS.has(key)) {
      if (typeof value !== 'string') return undefined;
      out[key] = value;
    } else if (BOOLEANS.has(key)) {
      if (typeof value !== 'boolean') return undefined;
      out[key] = value;
    } else if (key === 'name') {
      const name = copyOf(value, NAME, new Set());
      if (!name) return undefined;
      out.name = name;
    } else if (MULTI.has(key) || key === 'addresses') {
      const allowed = key === 'addresses' ? ADDRESS : ITEM;
      if (!Array.isArray(value)) return undefined;
      const items: Record<string, unknown>[] = [];
      for (const v of value as unknown[]) {
        const item = copyOf(v, allowed.strings, allowed.booleans);
        if (!item) return undefined;
        items.push(item);
      }
      out[key] = items;
    } else {
      return undefined;
    }
  }
  if (typeof out.userName !== 'string' || out.userName.length === 0 || !out.schemas)
    return undefined;
  return out as unknown as UserDto;
}

/** A copy of an object whose members are all known strings or booleans, else undefined. */
function copyOf(
  value: unknown,
  strings: Set<string>,
  booleans: Set<string>,
): Record<string, unknown> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (strings.has(key) ? typeof v !== 'string' : !booleans.has(key) || typeof v !== 'boolean') {
      return undefined;
    }
    out[key] = v;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
