import { scimError } from '../common/api-error';

export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;
/**
 * The largest startIndex answered (2^31 - 1): far past any result set, and an offset
 * PostgreSQL takes as a number (1e20 is not a bigint).
 */
export const MAX_START_INDEX = 2_147_483_647;

export interface Paging {
  startIndex: number;
  count: number;
}

/**
 * RFC 7644 §3.4.2.4: startIndex below 1 is read as 1 (HID's samples send 0); count defaults
 * to 100, is capped at 1000, and 0 asks for totalResults only.
 */
export function readPaging(startIndex: unknown, count: unknown): Paging {
  const start = toInt(startIndex, 'startIndex') ?? 1;
  if (start > MAX_START_INDEX) {
    throw scimError(400, 'invalidValue', `startIndex must be at most ${MAX_START_INDEX}`);
  }
  return {
    startIndex: Math.max(1, start),
    count: Math.min(MAX_COUNT, Math.max(0, toInt(count, 'count') ?? DEFAULT_COUNT)),
  };
}

function toInt(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw scimError(400, 'invalidValue', `${name} must be an integer`);
  }
  return n;
}

/** A query or SearchRequest parameter that must be a string when present. */
export function readString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw scimError(400, 'invalidValue', `${name} must be a string`);
  return value;
}

export function listResponse<T>(
  resourcesKey: 'Resources' | 'resources',
  total: number,
  startIndex: number,
  resources: T[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    ...extra,
    [resourcesKey]: resources,
  };
}
