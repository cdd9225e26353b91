import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { RequestContext } from '../../src/context/request-context';
import { RequestContextService } from '../../src/context/request-context.service';
import { TestApp } from './test-app';

/**
 * Runs `fn` in a CLS context built like a request's (a fresh request id, the app's first
 * tenant, an admin actor-less caller unless given), so a domain service called directly
 * records exactly what it would behind a controller.
 */
export function inContext<T>(
  t: TestApp,
  fn: () => Promise<T>,
  ctx: Partial<RequestContext> = {},
): Promise<T> {
  const context = t.app.get(RequestContextService);
  return context.run({ requestId: uuidv7(), tenant: t.tenant, ...ctx }, fn);
}

/**
 * Makes every audit insert carrying `correlationId` fail inside the database while `fn`
 * runs, as a full disk or a lost privilege would, and removes the fault afterwards.
 */
export async function withFailingAuditInsert<T>(
  t: TestApp,
  correlationId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const name = `fail_audit_${randomBytes(4).toString('hex')}`;
  await t.db.query(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.correlation_id = '${correlationId.replace(/'/g, "''")}' THEN
        RAISE EXCEPTION 'audit store unavailable (test)';
      END IF;
      RETURN NEW;
    END $$`);
  await t.db.query(
    `CREATE TRIGGER ${name} BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION ${name}()`,
  );
  try {
    return await fn();
  } finally {
    await t.db.query(`DROP TRIGGER IF EXISTS ${name} ON audit_records`);
    await t.db.query(`DROP FUNCTION IF EXISTS ${name}()`);
  }
}
