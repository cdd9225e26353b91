import { isSecretKey } from '../common/redaction';

/** One attribute that a change moved, in SCIM attribute-path form (RFC 7644 §3.10). */
export interface AttributeChange {
  /** `active`, `name.givenName`, `emails[type eq "work"].value`. */
  attribute: string;
  op: 'add' | 'replace' | 'remove';
  /**
   * The value before, as text: a string as is, any other value as its JSON text (`true`
   * gives "true", `3` gives "3", an object its JSON). SCIM has no union type, so /Schemas
   * declares it a string, and `after eq "false"` finds a boolean false.
   */
  before?: string;
  /** The value after, as text, like `before`. */
  after?: string;
  /** A secret (password, client secret, token): it changed, its values are never shown. */
  valueOmitted?: true;
  /** `before` or `after` was longer than CHANGE_VALUE_MAX_LENGTH and was cut. */
  truncated?: true;
}

/** Longest value a change shows, in characters (of the JSON text for a non-string). */
export const CHANGE_VALUE_MAX_LENGTH = 256;
/** Ends a value cut to CHANGE_VALUE_MAX_LENGTH. */
export const TRUNCATION_MARKER = '…';

export interface ChangeOptions {
  /** Top-level attributes left out (server-owned: `meta`, `schemas`, `id` by default). */
  ignore?: ReadonlySet<string>;
  /** Whether an attribute's values are secret; by default names like password, secret, token. */
  isSecret?: (name: string) => boolean;
}

type Json = Record<string, unknown>;

const DEFAULT_IGNORE: ReadonlySet<string> = new Set(['meta', 'schemas', 'id']);

/**
 * What changed between two states of one SCIM resource (its JSON before and after; `null`
 * for a resource that did not exist yet or no longer exists). A create lists every attribute
 * set, a delete every attribute the resource had; an update that changed nothing gives `[]`.
 *
 * Complex attributes are walked to their sub-attributes (`name.givenName`). Elements of a
 * multi-valued attribute are matched by `type` when every element has a distinct one, else
 * by `value`, and named by a value filter (`emails[type eq "work"].value`); an array whose
 * elements have neither (or primitive values) is compared as a whole.
 */
export function computeChanges(
  before: Json | null | undefined,
  after: Json | null | undefined,
  options: ChangeOptions = {},
): AttributeChange[] {
  const ignore = options.ignore ?? DEFAULT_IGNORE;
  const isSecret = options.isSecret ?? isSecretKey;
  if (before === null || before === undefined) return added(after ?? {}, ignore, isSecret);
  const out: AttributeChange[] = [];
  // `skip`: a `type` that names an element is in its path already; a `value` that names one
  // is kept, so an element with nothing else (a group) still shows as added or removed.
  const walk = (b: Json, a: Json, prefix: string, top: boolean, skip?: string) => {
    for (const key of unionKeys(b, a)) {
      if ((top && ignore.has(key)) || key === skip) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      const [x, y] = [own(b, key), own(a, key)];
      if (isSecret(key)) {
        if (!sameJson(x, y)) out.push({ attribute: path, op: opOf(x, y), valueOmitted: true });
      } else if (isObject(x) || isObject(y)) {
        if ((x === undefined || isObject(x)) && (y === undefined || isObject(y))) {
          walk(x ?? {}, y ?? {}, path, false);
        } else out.push(change(path, x, y));
      } else if (Array.isArray(x) || Array.isArray(y)) {
        multi(path, x, y);
      } else if (!sameJson(x, y)) out.push(change(path, x, y));
    }
  };
  const multi = (path: string, x: unknown, y: unknown) => {
    const xs: unknown[] | undefined = Array.isArray(x)
      ? x
      : x === undefined || x === null
        ? []
        : undefined;
    const ys: unknown[] | undefined = Array.isArray(y)
      ? y
      : y === undefined || y === null
        ? []
        : undefined;
    const key = xs && ys ? elementKey([...xs, ...ys], xs, ys) : undefined;
    if (!key || !xs || !ys) {
      if (!sameJson(x, y)) out.push(change(path, x, y));
      return;
    }
    const byKey = (items: unknown[]) => new Map(items.map((i) => [(i as Json)[key], i as Json]));
    const [bx, by] = [byKey(xs), byKey(ys)];
    for (const k of new Set([...bx.keys(), ...by.keys()])) {
      walk(
        bx.get(k) ?? {},
        by.get(k) ?? {},
        `${path}[${key} eq ${JSON.stringify(k)}]`,
        false,
        key === 'type' ? key : undefined,
      );
    }
  };
  walk(before ?? {}, after ?? {}, '', true);
  return out;
}

/**
 * `computeChanges(null, after)` without the general walk: a created resource has nothing to
 * compare with, so every attribute set is an `add`, listed in the order the general walk
 * lists it (each key once, in its object's order; the elements of a multi-valued attribute in
 * their order). Imports pay this for every item; `scim-changes.spec.ts` holds it equal to
 * the general walk from `{}`.
 */
function added(
  after: Json,
  ignore: ReadonlySet<string>,
  isSecret: (name: string) => boolean,
): AttributeChange[] {
  const out: AttributeChange[] = [];
  const walk = (a: Json, prefix: string, top: boolean, skip?: string) => {
    for (const key of Object.keys(a)) {
      if ((top && ignore.has(key)) || key === skip) continue;
      const y = a[key];
      if (!present(y)) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (isSecret(key)) out.push({ attribute: path, op: 'add', valueOmitted: true });
      else if (isObject(y)) walk(y, path, false);
      else if (Array.isArray(y)) multi(path, y);
      else out.push(change(path, undefined, y));
    }
  };
  const multi = (path: string, ys: unknown[]) => {
    const key = elementKey(ys, [], ys);
    if (!key) {
      out.push(change(path, undefined, ys));
      return;
    }
    for (const y of ys) {
      const k = (y as Json)[key];
      walk(
        y as Json,
        `${path}[${key} eq ${JSON.stringify(k)}]`,
        false,
        key === 'type' ? key : undefined,
      );
    }
  };
  walk(after, '', true);
  return out;
}

/** `type` or `value` when it names every element of each side once; else undefined. */
function elementKey(all: unknown[], xs: unknown[], ys: unknown[]): string | undefined {
  if (all.length === 0 || !all.every(isObject)) return undefined;
  for (const key of ELEMENT_KEYS) {
    if (namesEach(xs, key) && namesEach(ys, key)) return key;
  }
  return undefined;
}

const ELEMENT_KEYS = ['type', 'value'] as const;

/** Whether `key` is a string that differs from element to element of `items`. */
function namesEach(items: unknown[], key: string): boolean {
  // A user's emails or phone numbers are a few: compared pairwise, with nothing allocated
  // (every imported user's record is made this way); a long list (members) through a Set.
  if (items.length > 8) {
    const values = items.map((i) => (i as Json)[key]);
    return values.every((v) => typeof v === 'string') && new Set(values).size === values.length;
  }
  for (let i = 0; i < items.length; i++) {
    const v = (items[i] as Json)[key];
    if (typeof v !== 'string') return false;
    for (let k = 0; k < i; k++) if ((items[k] as Json)[key] === v) return false;
  }
  return true;
}

function change(attribute: string, before: unknown, after: unknown): AttributeChange {
  const c: AttributeChange = { attribute, op: opOf(before, after) };
  let truncated = false;
  if (present(before)) {
    const [v, cut] = shown(before);
    c.before = v;
    truncated ||= cut;
  }
  if (present(after)) {
    const [v, cut] = shown(after);
    c.after = v;
    truncated ||= cut;
  }
  if (truncated) c.truncated = true;
  return c;
}

/**
 * A value as a change shows it: as text (a string as is, anything else as its JSON text),
 * cut to CHANGE_VALUE_MAX_LENGTH characters with a marker.
 */
function shown(value: unknown): [string, boolean] {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length <= CHANGE_VALUE_MAX_LENGTH) return [text, false];
  return [text.slice(0, CHANGE_VALUE_MAX_LENGTH) + TRUNCATION_MARKER, true];
}

function opOf(before: unknown, after: unknown): AttributeChange['op'] {
  if (!present(before)) return 'add';
  if (!present(after)) return 'remove';
  return 'replace';
}

const present = (v: unknown) => v !== undefined && v !== null;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A member the object has itself: a key one side lacks (`constructor`, `__proto__`) must not
 * read what every object inherits.
 */
const own = (o: Json, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

function unionKeys(a: Json, b: Json): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!present(a) || !present(b)) return !present(a) && !present(b);
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((v, i) => sameJson(v, bs[i]));
  }
  const keys = unionKeys(a as Json, b as Json);
  return keys.every((k) => sameJson(own(a as Json, k), own(b as Json, k)));
}
