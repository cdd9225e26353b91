import { stdSerializers } from 'pino';

/**
 * What a logged error may never carry: a failed statement's text and bound parameters
 * (TypeORM's QueryFailedError keeps both, enumerable, and pino's serializer copies every
 * enumerable key), and PostgreSQL's `detail`, which quotes the values of a violated key.
 * Passwords, client secrets and tokens travel as parameters, so they went to the logs with
 * any statement that failed: a unique violation, a statement timeout, a dropped connection.
 */
const UNSAFE_KEYS = new Set(['query', 'parameters', 'detail', 'internalQuery']);

type Serialized = Record<string, unknown>;

/** pino's `err` serializer without statement texts, parameters or key values, at any depth. */
export function safeErrorSerializer(error: unknown): unknown {
  return scrub(stdSerializers.err(error as Error));
}

function scrub(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Serialized = {};
  for (const key of Object.keys(value)) {
    if (UNSAFE_KEYS.has(key)) continue;
    out[key] = scrub((value as Serialized)[key], depth + 1);
  }
  return out;
}
