import { parseScimDateTime } from './scim-datetime.util';
import { AttrPath, CompareOp, FilterNode, ScimLiteral } from './scim-filter.ast';

type JsonObject = Record<string, unknown>;

/**
 * Evaluates a filter against a plain JSON object, for PATCH value paths such as
 * `emails[type eq "work"]`. There is no schema here, so it follows the compiler's semantics
 * from the values themselves: strings compare case-insensitively (caseExact=false), strings
 * that both parse as ISO 8601 date-times compare as instants, a multi-valued attribute
 * matches when any element does, and a comparison on an array of objects without a
 * sub-attribute uses each element's `value`. Without a schema an absent attribute counts as one
 * missing value, so `emails.type ne "x"` matches an object with no emails at all, where the
 * compiler's EXISTS over a multi-valued attribute would not; element-level PATCH filters never
 * meet that case.
 */
export function matchesScimFilter(node: FilterNode, obj: JsonObject): boolean {
  switch (node.type) {
    case 'and':
      return matchesScimFilter(node.left, obj) && matchesScimFilter(node.right, obj);
    case 'or':
      return matchesScimFilter(node.left, obj) || matchesScimFilter(node.right, obj);
    case 'not':
      return !matchesScimFilter(node.expr, obj);
    case 'present':
      return lookup(obj, node.attr).some(isPresent);
    case 'compare':
      return compareAll(lookup(obj, node.attr), node.op, node.value);
    case 'valuePath':
      return lookup(obj, node.attr).some((v) => isObject(v) && matchesScimFilter(node.filter, v));
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Attribute names are case-insensitive (RFC 7643 §2.1); an exact key wins. */
function getIgnoringCase(obj: JsonObject, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

/**
 * Every value the path reaches, with arrays flattened: an absent attribute yields
 * [undefined], an empty array yields []. A URN-prefixed path looks inside the extension
 * object of that name first, where SCIM resources keep extension attributes.
 */
function lookup(obj: JsonObject, attr: AttrPath): unknown[] {
  const extension = attr.schema === undefined ? undefined : getIgnoringCase(obj, attr.schema);
  let current: unknown[] = [isObject(extension) ? extension : obj];
  for (const segment of attr.segments) {
    const next: unknown[] = [];
    for (const item of current) {
      const value = isObject(item) ? getIgnoringCase(item, segment) : undefined;
      if (Array.isArray(value)) next.push(...(value as unknown[]));
      else next.push(value);
    }
    current = next;
  }
  return current;
}

function isUnassigned(value: unknown): boolean {
  return (
    value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)
  );
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  return !isObject(value) || Object.keys(value).length > 0;
}

function compareAll(values: unknown[], op: CompareOp, literal: ScimLiteral): boolean {
  if (literal.kind === 'null') {
    // "Has no value" / "has a value", as the compiler's IS NULL / IS NOT NULL; an empty
    // array or object is unassigned too (RFC 7643 §2.5).
    if (op === 'eq') return values.every(isUnassigned);
    if (op === 'ne') return !values.every(isUnassigned);
    return false;
  }
  return values.some((v) => compareOne(isObject(v) ? getIgnoringCase(v, 'value') : v, op, literal));
}

function compareOne(actual: unknown, op: CompareOp, literal: ScimLiteral): boolean {
  if (typeof actual === 'string' && literal.kind === 'string') {
    return compareStrings(actual, op, literal.value);
  }
  // As in the compiler: a number literal against a string compares as the text written.
  if (typeof actual === 'string' && literal.kind === 'number') {
    return compareStrings(actual, op, literal.raw);
  }
  if (typeof actual === 'number' && literal.kind === 'number') {
    return ordered(Math.sign(actual - literal.value), op);
  }
  if (typeof actual === 'boolean' && literal.kind === 'boolean') {
    return (op === 'eq' && actual === literal.value) || (op === 'ne' && actual !== literal.value);
  }
  // Absent or of another type: never equal, so only `ne` matches.
  return op === 'ne';
}

function compareStrings(actual: string, op: CompareOp, expected: string): boolean {
  const a = actual.toLowerCase();
  const b = expected.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    case 'eq':
    case 'ne':
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const left = parseScimDateTime(actual);
      const right = parseScimDateTime(expected);
      if (left !== undefined && right !== undefined) return ordered(Math.sign(left - right), op);
      return ordered(a < b ? -1 : a > b ? 1 : 0, op);
    }
  }
}

/** Applies an ordering operator to a comparison result (-1, 0 or 1). */
function ordered(sign: number, op: CompareOp): boolean {
  switch (op) {
    case 'eq':
      return sign === 0;
    case 'ne':
      return sign !== 0;
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    case 'co':
    case 'sw':
    case 'ew':
      return false;
  }
}
