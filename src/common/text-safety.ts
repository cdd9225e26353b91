/**
 * Text PostgreSQL cannot store: NUL in `text` or `jsonb`, and UTF-16 surrogates without their
 * pair (which have no UTF-8 form). Such input is refused at the edge, or fails its import
 * item alone, instead of reaching a statement and coming back as a 500.
 */
// Without the `u` flag the pattern sees UTF-16 code units, which is what finds a lone half.
// NUL is the very character this pattern exists to find.
// eslint-disable-next-line no-control-regex
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'g');

export interface UnsafeText {
  /** Where: the attribute path (`name.givenName`, `emails[0].value`), or `` for the value. */
  path: string;
  problem: 'NUL' | 'surrogate';
}

export function unsafeProblem(text: string): UnsafeText['problem'] | undefined {
  const match = UNSAFE.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000' ? 'NUL' : 'surrogate';
}

/**
 * The first string (member names included) in a parsed JSON value or form that PostgreSQL
 * cannot store. Iterative, so a deep value cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, root = ''): UnsafeText | undefined {
  // Every body and import item is checked, and nearly all are safe: the paths are built
  // only for a value known to need one.
  return hasUnsafeText(value) ? locateUnsafeText(value, root) : undefined;
}

/** Whether any string or member name in the value is unsafe (iterative, no path per member). */
function hasUnsafeText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (UNSAFE.test(current)) return true;
    } else if (Array.isArray(current)) {
      for (const element of current as unknown[]) stack.push(element);
    } else if (current !== null && typeof current === 'object') {
      const object = current as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        if (UNSAFE.test(key)) return true;
        stack.push(object[key]);
      }
    }
  }
  return false;
}

function locateUnsafeText(value: unknown, root: string): UnsafeText | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const problem = unsafeProblem(current);
      if (problem) return { path, problem };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}[${i}]`]);
    } else if (current !== null && typeof current === 'object') {
      const entries: [string, unknown][] = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, member] = entries[i];
        const memberPath = path ? `${path}.${key}` : key;
        const problem = unsafeProblem(key);
        if (problem) return { path: storableText(memberPath), problem };
        stack.push([member, memberPath]);
      }
    }
  }
  return undefined;
}

/** The sentence an error `detail` carries for an unsafe value. */
export function describeUnsafe({ path, problem }: UnsafeText): string {
  const what = path || 'the value';
  return problem === 'NUL'
    ? `${what} must not contain the NUL character (\\u0000)`
    : `${what} must not contain an unpaired UTF-16 surrogate`;
}

/**
 * A copy that can be stored and logged: each unsafe code unit becomes U+FFFD. Only for text
 * that names something already refused (an item's key in its error, a claimed client id).
 */
export function storableText(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_GLOBAL, '\ufffd') : text;
}

/** A copy of a parsed JSON value with storableText applied to every string and member name. */
export function storableCopy(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableCopy);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [storableText(k), storableCopy(v)]),
    );
  }
  return value;
}

/**
 * Whether a JSON text nests objects and arrays deeper than `maxDepth`, found by one pass over
 * the text before it is parsed: code that walks a parsed value recursively (validation,
 * class-transformer) would otherwise overflow the stack on a body a few thousand levels deep.
 */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
