import { v7 as uuidv7 } from 'uuid';
import { AuditAction } from '../../src/audit/audit-actions';
import { AuditDetails, AuditService } from '../../src/audit/audit.service';
import { RequestContext } from '../../src/context/request-context';
import { RequestContextService } from '../../src/context/request-context.service';
import { TestApp } from './test-app';

/**
 * Writes one audit record through the real AuditService (so the trigger stamps created and
 * hash), in a context built like a request's: what a search must then find.
 */
export async function recordAs(
  t: TestApp,
  ctx: Partial<RequestContext>,
  action: AuditAction,
  details: AuditDetails = {},
  tenant = t.tenant,
): Promise<void> {
  const context = t.app.get(RequestContextService);
  const audit = t.app.get(AuditService);
  await context.run({ requestId: uuidv7(), tenant, ...ctx }, () => audit.record(action, details));
}

/** Many records at once, through the table's own trigger; one correlation id for all. */
export async function bulkRecords(
  t: TestApp,
  count: number,
  correlationId: string,
  tenant = t.tenant,
  message: string | null = null,
): Promise<void> {
  await t.db.query(
    `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, service_id, action_name,
       action_parameters, result, message, created, hash)
     SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), 'CH_DIRECT', 'createUser',
       jsonb_build_object('Action', 'createUser', 'n', i::text), 'RESPONSE_SUCCESS', $4, now(), ''
     FROM generate_series(1, $3) AS i`,
    [tenant, correlationId, count, message],
  );
}

/** Rewrites one stored record behind the service's back (an attacker with table access). */
export async function tamperWith(t: TestApp, id: string, message: string): Promise<void> {
  const runner = t.db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    // The trigger is off only inside this transaction: the ALTER holds its lock until commit.
    await runner.query('ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update_delete');
    await runner.query('GRANT UPDATE ON audit_records TO CURRENT_USER');
    await runner.query('UPDATE audit_records SET message = $2 WHERE id = $1', [id, message]);
    await runner.query('REVOKE UPDATE ON audit_records FROM CURRENT_USER');
    await runner.query('ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_update_delete');
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}
