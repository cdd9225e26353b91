import type { TestApp, TestResponse } from './test-app';

/**
 * Which request's records to read: its response (the `X-Request-ID` it was answered with),
 * its request id, or the caller's correlation id (within one tenant).
 */
export type RequestRef =
  TestResponse | string | { requestId: string } | { correlationId: string; tenant?: string };

/**
 * The stored audit records of one request, oldest first, read from the table: what a test
 * checks after a call, without going through the search it may be testing.
 */
export function recordsOfRequest(t: TestApp, ref: RequestRef): Promise<any[]> {
  if (typeof ref === 'object' && 'correlationId' in ref) {
    return t.db.query(
      'SELECT * FROM audit_records WHERE tenant_id = $1 AND correlation_id = $2 ORDER BY created, id',
      [ref.tenant ?? t.tenant, ref.correlationId],
    );
  }
  return t.db.query('SELECT * FROM audit_records WHERE request_id = $1 ORDER BY created, id', [
    requestIdOf(ref),
  ]);
}

/** The stored audit records of one COI (an import, a CIBA flow) in a tenant, oldest first. */
export function recordsOfCoi(t: TestApp, coi: string, tenant = t.tenant): Promise<any[]> {
  return t.db.query(
    'SELECT * FROM audit_records WHERE tenant_id = $1 AND coi = $2 ORDER BY created, id',
    [tenant, coi],
  );
}

function requestIdOf(ref: TestResponse | string | { requestId: string }): string {
  if (typeof ref === 'string') return ref;
  if ('requestId' in ref) return ref.requestId;
  const id = ref.headers['x-request-id'];
  if (typeof id !== 'string') throw new Error(`response has no X-Request-ID (${ref.statusCode})`);
  return id;
}
