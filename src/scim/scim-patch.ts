import { scimError } from '../common/api-error';
import { FilterNode, matchesScimFilter, parseScimPath } from './filter';
import { PATCH_OP_SCHEMA } from './scim-constants';

type Json = Record<string, unknown>;

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

export interface PatchOptions {
  /** Canonical spelling of an attribute name given in any case (RFC 7643 §2.1). */
  canonicalName: (name: string) => string;
  /** Attributes a client may not touch (id, meta, ...). */
  readOnly: Set<string>;
}

/**
 * Applies a SCIM PatchOp (RFC 7644 §3.5.2) to a resource's client-writable view and returns
 * the new view; the caller validates the result as it would a PUT. The input is not changed.
 */
export function applyPatch(resource: Json, body: unknown, options: PatchOptions): Json {
  const ops = readOperations(body);
  const result = structuredClone(resource);
  for (const [index, op] of ops.entries()) {
    const kind = op.op.toLowerCase();
    if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') {
      throw scimError(
        400,
        'invalidSyntax',
        `Operations[${index}].op must be add, replace or remove`,
      );
    }
    if (kind === 'remove') {
      if (!op.path) throw scimError(400, 'noTarget', `Operations[${index}]: remove needs a path`);
      remove(result, op.path, options);
    } else {
      if (op.value === undefined) {
        throw scimError(400, 'invalidValue', `Operations[${index}]: ${kind} needs a value`);
      }
      if (op.path) {
        set(result, op.path, op.value, kind, options);
      } else {
        if (!isObject(op.value)) {
          throw scimError(
            400,
            'invalidValue',
            `Operations[${index}]: a value without a path must be an object`,
          );
        }
        for (const [key, value] of Object.entries(op.value)) {
          set(result, key, value, kind, options);
        }
      }
    }
  }
  return result;
}

function readOperations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw scimError(400, 'invalidSyntax', 'The body must be a PatchOp object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP_SCHEMA)) {
    throw scimError(400, 'invalidSyntax', `schemas must contain ${PATCH_OP_SCHEMA}`);
  }
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = key ? body[key] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) {
    throw scimError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  }
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw scimError(400, 'invalidSyntax', `Operations[${i}] must be an object`);
    const op = field(raw, 'op');
    const path = field(raw, 'path');
    if (typeof op !== 'string')
      throw scimError(400, 'invalidSyntax', `Operations[${i}].op is required`);
    if (path !== undefined && typeof path !== 'string') {
      throw scimError(400, 'invalidPath', `Operations[${i}].path must be a string`);
    }
    return { op, path, value: field(raw, 'value') };
  });
}

interface Target {
  attr: string;
  sub?: string;
  filter?: FilterNode;
}

function target(path: string, options: PatchOptions): Target {
  const parsed = parseScimPath(path);
  const [first, ...rest] = parsed.attr;
  const attr = options.canonicalName(first);
  if (options.readOnly.has(attr)) throw scimError(400, 'mutability', `${attr} cannot be modified`);
  if (rest.length > 1)
    throw scimError(400, 'invalidPath', `Unsupported path "${path.slice(0, 60)}"`);
  const subName = parsed.subAttr ?? rest[0];
  return {
    attr,
    sub: subName === undefined ? undefined : options.canonicalName(subName),
    filter: parsed.filter,
  };
}

function set(
  resource: Json,
  path: string,
  raw: unknown,
  kind: 'add' | 'replace',
  options: PatchOptions,
): void {
  const t = target(path, options);
  const value = t.attr === 'active' && !t.sub ? coerceBoolean(raw) : raw;
  const key = existingKey(resource, t.attr) ?? t.attr;
  const current = resource[key];
  if (t.filter) {
    const matches = elements(current).filter((e) => matchesScimFilter(t.filter!, e));
    if (matches.length === 0)
      throw scimError(400, 'noTarget', `No value of ${t.attr} matches the path filter`);
    for (const element of matches) {
      if (t.sub) element[existingKey(element, t.sub) ?? t.sub] = value;
      else if (isObject(value)) {
        if (kind === 'replace') for (const k of Object.keys(element)) delete element[k];
        Object.assign(element, canonicalObject(value, options));
      } else throw scimError(400, 'invalidValue', `A value for ${t.attr}[...] must be an object`);
    }
    return;
  }
  if (t.sub) {
    if (Array.isArray(current)) {
      for (const element of elements(current))
        element[existingKey(element, t.sub) ?? t.sub] = value;
      return;
    }
    const parent = isObject(current) ? current : {};
    parent[existingKey(parent, t.sub) ?? t.sub] = value;
    resource[key] = parent;
    return;
  }
  const canonical = (v: unknown): unknown => (isObject(v) ? canonicalObject(v, options) : v);
  if (kind === 'add' && Array.isArray(current)) {
    const existing = current as unknown[];
    const added = (Array.isArray(value) ? (value as unknown[]) : [value]).map(canonical);
    const fresh = added.filter(
      (v) => !existing.some((c) => JSON.stringify(c) === JSON.stringify(v)),
    );
    resource[key] = [...existing, ...fresh];
  } else if (kind === 'add' && isObject(current) && isObject(value)) {
    Object.assign(current, canonicalObject(value, options));
  } else {
    resource[key] = Array.isArray(value) ? (value as unknown[]).map(canonical) : canonical(value);
  }
}

function remove(resource: Json, path: string, options: PatchOptions): void {
  const t = target(path, options);
  const key = existingKey(resource, t.attr);
  if (key === undefined) return;
  const current = resource[key];
  if (t.filter) {
    if (!Array.isArray(current)) throw scimError(400, 'noTarget', `${t.attr} is not multi-valued`);
    const list = elements(current);
    if (t.sub) {
      for (const element of list.filter((e) => matchesScimFilter(t.filter!, e))) {
        const subKey = existingKey(element, t.sub);
        if (subKey) delete element[subKey];
      }
    } else {
      resource[key] = list.filter((e) => !matchesScimFilter(t.filter!, e));
    }
    return;
  }
  if (t.sub) {
    for (const element of Array.isArray(current)
      ? elements(current)
      : isObject(current)
        ? [current]
        : []) {
      const subKey = existingKey(element, t.sub);
      if (subKey) delete element[subKey];
    }
    return;
  }
  delete resource[key];
}

function canonicalObject(value: Json, options: PatchOptions): Json {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [options.canonicalName(k), v]));
}

function elements(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function existingKey(obj: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function field(obj: Json, name: string): unknown {
  const key = existingKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/** Some SCIM clients (Entra ID) send booleans as "True"/"False". */
function coerceBoolean(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
