import { createHash } from 'node:crypto';

type Json = Record<string, any>;

/**
 * PostgreSQL's jsonb text form, which `audit_record_hash` hashes: keys ordered by length then
 * bytes, `", "` and `": "` separators. Rebuilt here so the hash can be checked from the API
 * representation alone, without the database.
 */
function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => {
      const [x, y] = [Buffer.from(a), Buffer.from(b)];
      return x.length - y.length || Buffer.compare(x, y);
    });
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((value as Json)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** The canonical content of a record as the API returns it (API.md §4 `hash`). */
export function recomputeHash(r: Json): string {
  const canonical = {
    id: r.id,
    tenantId: r.tenantId,
    correlationId: r.correlationId ?? null,
    requestId: r.requestId,
    coi: r.coi ?? null,
    service: { id: r.service.id, host: r.service.host ?? null },
    action: { actionName: r.action.actionName, actionParameters: r.action.actionParameters },
    result: r.result,
    message: r.message ?? null,
    returnValue: r.return_value ?? null,
    actingUserId: {
      id: r.actingUserId?.id ?? null,
      immutableId: r.actingUserId?.immutableId ?? null,
      sessionId: r.actingUserId?.session?.id ?? null,
      authenticationMethod: r.actingUserId?.session?.authenticationMethod ?? null,
    },
    targetUserId: {
      id: r.targetUserId?.id ?? null,
      immutableId: r.targetUserId?.immutableId ?? null,
    },
    created: r.created,
    // Added with changes, client and trace id: each hashed only when the record has it.
    ...(r.changes !== undefined ? { changes: r.changes } : {}),
    ...(r.client !== undefined ? { client: r.client } : {}),
    ...(r.traceId !== undefined ? { traceId: r.traceId } : {}),
  };
  return createHash('sha256').update(jsonbText(canonical), 'utf8').digest('hex');
}
