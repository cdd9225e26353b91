import { ApiError } from '../common/api-error';
import { AppConfig } from '../config/app-config';
import { SearchDatabase } from '../database/search-database';
import { AuditIntegrityService } from './audit-integrity.service';
import { AuditKeysService } from './audit-keys.service';
import { AuditSealsRepository } from './audit-seals.repository';
import { AuditService } from './audit.service';

/** A search database whose statements all wait until `release` answers them with no rows. */
function heldDatabase() {
  const waiting: Array<() => void> = [];
  let statements = 0;
  const db = {
    query: () => {
      statements++;
      return new Promise<unknown[]>((resolve) => waiting.push(() => resolve([])));
    },
    stream: () => {
      statements++;
      return new Promise<number>((resolve) => waiting.push(() => resolve(0)));
    },
  };
  const release = async () => {
    // Each answer lets the walk issue its next statement: answer until it stops asking.
    for (let idle = 0; idle < 20; idle++) {
      const next = waiting.shift();
      if (next) {
        next();
        idle = 0;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { db: db as unknown as SearchDatabase, release, statements: () => statements };
}

function service(db: SearchDatabase) {
  const keys = { publicJwks: () => ({ keys: [] }), recordKeyMap: () => new Map() };
  return new AuditIntegrityService(
    db,
    keys as unknown as AuditKeysService,
    {} as AuditSealsRepository,
    { record: () => Promise.resolve() } as unknown as AuditService,
    { auditLogAccess: false } as AppConfig,
  );
}

describe('AuditIntegrityService.verify while a walk runs', () => {
  it('shares the running walk with a call for the same range', async () => {
    const held = heldDatabase();
    const integrity = service(held.db);
    const first = integrity.verify('t1');
    const second = integrity.verify('t1');
    await held.release();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a.verified).toBe(true);
  });

  it('answers 429 with Retry-After for another range of the same tenant, and walks again after', async () => {
    const held = heldDatabase();
    const integrity = service(held.db);
    const first = integrity.verify('t1');
    let refusal: unknown;
    try {
      await integrity.verify('t1', '2026-01-01T00:00:00Z');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).status).toBe(429);
    expect((refusal as ApiError).options.headers).toEqual({ 'Retry-After': '5' });
    await held.release();
    await first;
    const again = integrity.verify('t1', '2026-01-01T00:00:00Z');
    await held.release();
    expect((await again).verified).toBe(true);
  });

  it('walks two tenants at once', async () => {
    const held = heldDatabase();
    const integrity = service(held.db);
    const one = integrity.verify('t1');
    const two = integrity.verify('t2');
    await held.release();
    const [a, b] = await Promise.all([one, two]);
    expect(a).not.toBe(b);
  });
});
