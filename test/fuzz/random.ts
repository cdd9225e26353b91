/**
 * A small seeded generator: every fuzz case is rebuilt exactly from its seed, so a failure is
 * replayed with `npm run fuzz -- --replay <surface>:<seed>`.
 */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: fast, 32-bit state, good enough to spread test inputs. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A case's own seed, derived from the run's seed, the surface and the case number. */
  static caseSeed(runSeed: number, surface: string, index: number): number {
    let h = runSeed ^ 0x811c9dc5;
    for (const c of `${surface}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    return h >>> 0;
  }
}

/** Strings a hostile or careless client sends: PostgreSQL's, the parser's and the log's enemies. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\ud83d\ude00',
  '\u0001\u001f\u007f',
  '\r\n',
  '\t',
  '\u2028\u2029',
  '\ufeff',
  '\uffff',
  'é',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  '%',
  '_',
  '\\',
  '%00',
  '%ED%A0%80',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'null',
  'true',
  '1e309',
  '-0',
  '9'.repeat(40),
  'NaN',
  '__proto__',
  'constructor',
  '2020-12-15T11:05:41.561Z',
  '0193b6c4-0000-7000-8000-000000000000',
  '00000000-0000-0000-0000-000000000000',
];

const ALPHABET = 'abcXYZ019_-.*~@+/: "\'()[]{}\\%\u0000\ud800\udc00é\u0007';

export function nastyString(r: Random): string {
  switch (r.int(6)) {
    case 0:
    case 1:
      return r.pick(NASTY);
    case 2:
      return `${r.pick(NASTY)}${randomText(r, 8)}${r.pick(NASTY)}`;
    case 3:
      return randomText(r, 1 + r.int(40));
    case 4:
      return 'x'.repeat(r.pick([255, 256, 257, 1023, 1024, 1025, 5000]));
    default:
      return String.fromCharCode(...Array.from({ length: 1 + r.int(12) }, () => r.int(0x10000)));
  }
}

export function randomText(r: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[r.int(ALPHABET.length)];
  return out;
}

export function nastyNumber(r: Random): number | string {
  return r.pick<number | string>([
    0,
    -1,
    1,
    1.5,
    2147483647,
    2147483648,
    -2147483649,
    '9007199254740993',
    1e20,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    '1e400',
    '-0',
    '100000000000000000000',
  ]);
}

/** Any JSON value, nested at most `depth` deep, leaning towards the nasty ones. */
export function nastyValue(r: Random, depth = 3): unknown {
  switch (r.int(depth > 0 ? 9 : 6)) {
    case 0:
    case 1:
    case 2:
      return nastyString(r);
    case 3:
      return nastyNumber(r);
    case 4:
      return r.pick([true, false, null]);
    case 5:
      return r.pick([[], {}, '']);
    case 6:
      return Array.from({ length: r.int(4) }, () => nastyValue(r, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--)
        out[r.chance(0.7) ? r.pick(KEYS) : nastyString(r)] = nastyValue(r, depth - 1);
      return out;
    }
  }
}

const KEYS = [
  'userName',
  'displayName',
  'externalId',
  'name',
  'givenName',
  'emails',
  'value',
  'password',
  'active',
  'schemas',
  'Operations',
  'op',
  'path',
  'filter',
  'startIndex',
  'count',
  'client_name',
  'scope',
  'serialNumber',
  'owner',
  'parent',
  'reason',
];

/**
 * A mutation of a valid body: one member replaced, added or removed, somewhere in the tree,
 * so most cases reach the validation and the database rather than stopping at the parser.
 */
export function mutate(r: Random, body: unknown, depth = 0): unknown {
  if (depth > 4 || body === null || typeof body !== 'object') return nastyValue(r, 2);
  if (Array.isArray(body)) {
    const copy = [...(body as unknown[])];
    if (copy.length === 0 || r.chance(0.2)) copy.push(nastyValue(r, 2));
    else {
      const i = r.int(copy.length);
      copy[i] = mutate(r, copy[i], depth + 1);
    }
    return copy;
  }
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const action = keys.length === 0 ? 0 : r.int(5);
  if (action === 0) copy[r.chance(0.5) ? r.pick(KEYS) : nastyString(r)] = nastyValue(r, 2);
  else if (action === 1) delete copy[r.pick(keys)];
  else {
    const key = r.pick(keys);
    copy[key] = r.chance(0.6) ? mutate(r, copy[key], depth + 1) : nastyValue(r, 2);
  }
  return copy;
}

/** Text that is almost JSON: truncated, deep, or with a stray byte. */
export function brokenJson(r: Random, valid: string): string {
  switch (r.int(5)) {
    case 0:
      return valid.slice(0, r.int(valid.length));
    case 1: {
      const n = r.pick([65, 1000, 3000, 10000]);
      return r.chance(0.5)
        ? '['.repeat(n) + ']'.repeat(n)
        : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    }
    case 2: {
      const at = r.int(valid.length);
      return valid.slice(0, at) + randomText(r, 3) + valid.slice(at);
    }
    case 3:
      return valid.replace(/"([^"]*)"/, (_m, s: string) => `"${s}\\u0000"`);
    default:
      return valid.replace(/"([^"]*)"/, (_m, s: string) => `"${s}\\ud800"`);
  }
}
