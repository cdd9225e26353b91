import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { scimError } from '../common/api-error';
import { storableText } from '../common/text-safety';
import { NewUser, UserRow } from './user-row';
import { USER_ATTRIBUTES } from './user-attributes';
import { UserDto } from './user.dto';
import { USER_SCHEMA } from './user.schema';

/** Attributes the server owns: ignored when a client sends them (RFC 7643 readOnly). */
const READ_ONLY = new Set(['id', 'meta', 'groups']);
/** Kept in columns rather than in `resource`. */
const COLUMN_ATTRIBUTES = new Set(['schemas', 'userName', 'externalId', 'active', 'password']);

const CANONICAL_BY_LOWER = new Map(USER_ATTRIBUTES.map((a) => [a.toLowerCase(), a]));

/** RFC 7643 §2.1: attribute names are case-insensitive; store them in their schema spelling. */
export function canonicaliseKeys(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    const name = CANONICAL_BY_LOWER.get(key.toLowerCase()) ?? key;
    // Assigned, a `__proto__` member (JSON.parse makes it an own one) would set the copy's
    // prototype and vanish from its keys; defined, it stays a member the validators refuse.
    if (name === '__proto__') {
      Object.defineProperty(out, name, {
        value: body[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[name] = body[key];
  }
  return out;
}

export interface UserLimits {
  userNameLength: number;
  stringLength: number;
}

/** Validates a client-written user (POST/PUT, or the result of a PATCH) into a DTO. */
export function validateUser(body: unknown, limits: UserLimits): UserDto {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw scimError(400, 'invalidSyntax', 'The request body must be a SCIM User object');
  }
  const plain = canonicaliseKeys(body as Record<string, unknown>);
  for (const key of READ_ONLY) delete plain[key];
  const reserved = findPrototypeMember(plain);
  if (reserved) throw scimError(400, 'invalidValue', `${reserved} is not an attribute name`);
  const dto = plainToInstance(UserDto, plain);
  const errors = validateSync(dto, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) throw scimError(400, 'invalidValue', describe(errors));
  return checkUser(dto, limits);
}

/** Member names no SCIM attribute has, which name the prototype chain of a JavaScript object. */
const PROTOTYPE_MEMBERS = new Set(['constructor', '__proto__', 'prototype']);

/**
 * The path of the first member named like the prototype chain, at any depth. class-transformer
 * reads `value.constructor` to pick a nested object's class, so such a member, even inside
 * an unknown attribute the whitelist would drop, throws a TypeError (a 500) or reaches the
 * prototype. Iterative, as the body may be deep.
 */
function findPrototypeMember(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    for (const [key, member] of Object.entries(current)) {
      const memberPath = Array.isArray(current) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!Array.isArray(current) && PROTOTYPE_MEMBERS.has(key)) return storableText(memberPath);
      stack.push([member, memberPath]);
    }
  }
  return undefined;
}

/** The rules beyond the DTO's types: the core schema, a userName, the length limits. */
export function checkUser(dto: UserDto, limits: UserLimits): UserDto {
  // RFC 7643 §2.5: null is "unassigned", the same as leaving the attribute out
  // (`"password": null` must not reach the password hash).
  for (const key of Object.keys(dto) as (keyof UserDto)[]) {
    if (dto[key] === null) delete dto[key];
  }
  if (!dto.schemas.includes(USER_SCHEMA)) {
    throw scimError(400, 'invalidValue', `schemas must contain ${USER_SCHEMA}`);
  }
  if (dto.userName.trim() === '')
    throw scimError(400, 'invalidValue', 'userName must not be blank');
  if (dto.userName.length > limits.userNameLength) {
    throw scimError(
      400,
      'invalidValue',
      `userName must be at most ${limits.userNameLength} characters`,
    );
  }
  const long = findLongAttribute(dto, limits.stringLength);
  if (long)
    throw scimError(
      400,
      'invalidValue',
      `${long} must be at most ${limits.stringLength} characters`,
    );
  return dto;
}

function describe(errors: ValidationError[], prefix = ''): string {
  return errors
    .flatMap((e) => {
      const path = prefix ? `${prefix}.${e.property}` : e.property;
      const own = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property, path));
      return [...own, ...(e.children?.length ? [describe(e.children, path)] : [])];
    })
    .join('; ');
}

/** The first attribute (by path) longer than `max`, the user's `userName` aside. */
function findLongAttribute(dto: UserDto, max: number): string | undefined {
  const members = dto as unknown as Record<string, unknown>;
  for (const key of Object.keys(members)) {
    // `schemas` holds the protocol's URNs, not user data: the string limit is not theirs.
    if (key === 'schemas' || cannotHoldLongString(members[key], max)) continue;
    const hit = findLongString(members[key], max, key);
    if (hit) return hit;
  }
  return undefined;
}

function findLongString(value: unknown, max: number, path = ''): string | undefined {
  if (typeof value === 'string')
    return value.length > max && path !== 'userName' ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (cannotHoldLongString(value[i], max)) continue;
      const hit = findLongString(value[i], max, `${path}[${i}]`);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (cannotHoldLongString(v, max)) continue;
      const hit = findLongString(v, max, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** A short string or a scalar: no path is built for what cannot be too long. */
function cannotHoldLongString(value: unknown, max: number): boolean {
  return typeof value === 'string' ? value.length <= max : !value || typeof value !== 'object';
}

/** The part of a validated user that lives in the `resource` jsonb column. */
export function resourceOf(
  dto: UserDto,
  /** Members of the DTO that are not attributes either (an import's `passwordHash`). */
  except: ReadonlySet<string> = NOTHING,
): Record<string, unknown> {
  const out = attributesOf(dto, except);
  // A copy as JSON would carry it; plain data (the fast path's) is copied without the text.
  const copy = plainCopy(out);
  return (copy === NOT_PLAIN ? JSON.parse(JSON.stringify(out)) : copy) as Record<string, unknown>;
}

/**
 * resourceOf for a DTO its caller made for this alone and drops after (an imported item's):
 * the fast path's DTO is fresh plain data already, so its attribute values are taken as they
 * are instead of being copied a second time. Any other DTO (class-validator's instances) is
 * copied as resourceOf copies it.
 */
export function resourceOfOwned(
  dto: UserDto,
  except: ReadonlySet<string> = NOTHING,
): Record<string, unknown> {
  return Object.getPrototypeOf(dto) === Object.prototype
    ? attributesOf(dto, except)
    : resourceOf(dto, except);
}

/** The DTO's members that are attributes kept in `resource`, as they are (not copied). */
function attributesOf(dto: UserDto, except: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const members = dto as unknown as Record<string, unknown>;
  for (const key of Object.keys(members)) {
    const value = members[key];
    if (!COLUMN_ATTRIBUTES.has(key) && !except.has(key) && value !== undefined) out[key] = value;
  }
  return out;
}

const NOT_PLAIN = Symbol('not plain JSON data');
const NOTHING: ReadonlySet<string> = new Set();

/**
 * A deep copy of plain JSON data (strings, finite numbers, booleans, null, arrays, objects
 * of Object's prototype; undefined members left out), or NOT_PLAIN for anything a JSON round
 * trip would change otherwise (a class instance, an undefined array element, ...).
 */
function plainCopy(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : NOT_PLAIN;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value as unknown[]) {
      const copy = element === undefined ? NOT_PLAIN : plainCopy(element);
      if (copy === NOT_PLAIN) return NOT_PLAIN;
      out.push(copy);
    }
    return out;
  }
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    return NOT_PLAIN;
  }
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    if (object[key] === undefined) continue;
    const copy = key === '__proto__' ? NOT_PLAIN : plainCopy(object[key]);
    if (copy === NOT_PLAIN) return NOT_PLAIN;
    out[key] = copy;
  }
  return out;
}

export function userVersion(row: UserRow): string {
  return `W/"${row.version}"`;
}

/**
 * What `resource` may contribute: everything but what the columns and the server own, and
 * never a password, whoever wrote the row (imports and provisioning write it directly).
 * `groups` is the one server-owned attribute kept there: only the server writes it (the
 * group of a bulk import) and, as at HID, a user shows the group it belongs to.
 */
const OWNED_ELSEWHERE = new Set(
  [...COLUMN_ATTRIBUTES, ...READ_ONLY]
    .filter((name) => name !== 'groups')
    .map((name) => name.toLowerCase()),
);

function storedAttributes(row: Pick<UserRow, 'resource'>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row.resource).filter(([key]) => !OWNED_ELSEWHERE.has(key.toLowerCase())),
  );
}

/** The SCIM representation (never the password). */
export function toUserResource(row: UserRow, baseUrl: string): Record<string, unknown> {
  const rest = storedAttributes(row);
  const resource: Record<string, unknown> = {
    schemas: [USER_SCHEMA],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    userName: row.user_name,
    ...rest,
    ...(row.active !== null ? { active: row.active } : {}),
    meta: {
      resourceType: 'User',
      created: row.created.toISOString(),
      lastModified: row.last_modified.toISOString(),
      location: `${baseUrl}/${row.tenant_id}/v2/Users/${row.id}`,
      version: userVersion(row),
    },
  };
  return resource;
}

/** The full client-writable view of a stored user: the starting point of a PATCH. */
export function writableView(row: UserRow): Record<string, unknown> {
  const rest = storedAttributes(row);
  return {
    schemas: [USER_SCHEMA],
    userName: row.user_name,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    ...(row.active !== null ? { active: row.active } : {}),
    ...structuredClone(rest),
  };
}

/**
 * A stored user as its audit `changes` compare it (computeChanges): the client-writable
 * attributes, `groups`, and the password digest under `password`, which computeChanges
 * shows as changed without a value. Read-only: it shares the row's objects.
 */
export function changeView(
  row: Pick<UserRow, 'user_name' | 'external_id' | 'active' | 'resource' | 'password_hash'>,
): Record<string, unknown> {
  return {
    userName: row.user_name,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    ...(row.active !== null ? { active: row.active } : {}),
    ...storedAttributes(row),
    ...(row.password_hash !== null ? { password: row.password_hash } : {}),
  };
}

/** The change view of a user as inserted (imports insert without reading the row back). */
export function changeViewOfNew(user: NewUser): Record<string, unknown> {
  return changeView({
    user_name: user.userName,
    external_id: user.externalId ?? null,
    active: user.active,
    resource: user.resource,
    password_hash: user.passwordHash ?? null,
  });
}
