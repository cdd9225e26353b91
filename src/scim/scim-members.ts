import { scimError } from '../common/api-error';

/** Readers of a submitted resource's members, shared by the SCIM writes and the imports. */

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw scimError(400, 'invalidSyntax', `Each ${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A member by case-insensitive name (RFC 7643 §2.1). */
export function member(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  // Looked up for every imported item (a member it mostly lacks): no array of keys and no
  // lower-cased copy of a key whose length already tells it apart.
  const lower = name.toLowerCase();
  for (const k in object) {
    if (k.length === lower.length && Object.hasOwn(object, k) && k.toLowerCase() === lower) {
      return object[k];
    }
  }
  return undefined;
}

export function optionalString(
  object: Record<string, unknown>,
  name: string,
  maxLength: number,
): string | undefined {
  const value = member(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw scimError(400, 'invalidValue', `${name} must be a non-empty string`);
  }
  if (value.length > maxLength) {
    throw scimError(400, 'invalidValue', `${name} must be at most ${maxLength} characters`);
  }
  return value;
}

export function requiredString(
  object: Record<string, unknown>,
  name: string,
  maxLength: number,
): string {
  const value = optionalString(object, name, maxLength);
  if (value === undefined) throw scimError(400, 'invalidValue', `${name} is required`);
  return value;
}
