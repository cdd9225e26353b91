/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on a plain resource. Names are
 * case-insensitive dotted paths; `id` and `schemas` are always returned.
 */
export function projectAttributes<T extends Record<string, unknown>>(
  resource: T,
  attributes?: string[],
  excluded?: string[],
  always: string[] = ['id', 'schemas'],
): Record<string, unknown> {
  const alwaysSet = new Set(always.map((a) => a.toLowerCase()));
  if (attributes && attributes.length > 0) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(resource)) {
      if (alwaysSet.has(key.toLowerCase())) out[key] = resource[key];
    }
    for (const path of attributes) copyPath(resource, out, splitPath(path));
    return out;
  }
  if (excluded && excluded.length > 0) {
    const out = structuredClone(resource) as Record<string, unknown>;
    for (const path of excluded) {
      const segments = splitPath(path);
      if (segments.length === 1 && alwaysSet.has(segments[0])) continue;
      removePath(out, segments);
    }
    return out;
  }
  return resource;
}

/** Splits "a.b,c" style parameter values into a list. */
export function readAttributeList(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && !Array.isArray(value)) return undefined;
  const list = Array.isArray(value) ? value.map((v) => String(v as string)) : value.split(',');
  return list.map((s) => s.trim()).filter(Boolean);
}

function splitPath(path: string): string[] {
  // Strip a schema URN prefix: urn:...:User:name.givenName -> name.givenName
  const stripped = path.startsWith('urn:') ? path.slice(path.lastIndexOf(':') + 1) : path;
  return stripped.split('.').map((s) => s.toLowerCase());
}

function findKey(obj: Record<string, unknown>, lower: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function copyPath(
  src: Record<string, unknown>,
  dst: Record<string, unknown>,
  segments: string[],
): void {
  const key = findKey(src, segments[0]);
  if (key === undefined) return;
  const value = src[key];
  if (segments.length === 1) {
    dst[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    const existing = (Array.isArray(dst[key]) ? dst[key] : value.map(() => ({}))) as Record<
      string,
      unknown
    >[];
    value.forEach((item, i) => {
      if (item && typeof item === 'object')
        copyPath(item as Record<string, unknown>, existing[i], segments.slice(1));
    });
    dst[key] = existing;
  } else if (value && typeof value === 'object') {
    const child = (dst[key] ?? {}) as Record<string, unknown>;
    copyPath(value as Record<string, unknown>, child, segments.slice(1));
    dst[key] = child;
  }
}

function removePath(obj: Record<string, unknown>, segments: string[]): void {
  const key = findKey(obj, segments[0]);
  if (key === undefined) return;
  if (segments.length === 1) {
    delete obj[key];
    return;
  }
  const value = obj[key];
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (item && typeof item === 'object')
      removePath(item as Record<string, unknown>, segments.slice(1));
  }
}
