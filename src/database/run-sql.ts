import { EntityManager, QueryFailedError } from 'typeorm';

/** The part of a pg client or pool a statement needs. */
interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResult>;
}

interface PgResult {
  command: string;
  rows: unknown[];
  rowCount: number | null;
}

/**
 * `manager.query(text, params)` with the same result and errors, minus TypeORM's per-statement
 * machinery (subscriber broadcasts, a query runner per call outside transactions, several
 * awaits), which measured as a tenth of the service's CPU on a write request
 * (docs/performance.md).
 *
 * Inside a transaction the statement runs on the transaction's own connection; outside one,
 * on TypeORM's pool, as a single auto-committed statement. Like TypeORM, UPDATE and DELETE
 * answer `[rows, rowCount]`, everything else the rows; failures are `QueryFailedError`s
 * carrying the driver's code, so callers keep testing `error.code`.
 */
export async function runSql<T = unknown>(
  manager: EntityManager,
  text: string,
  params?: unknown[],
): Promise<T> {
  const target = queryableOf(manager);
  if (!target) return manager.query<T>(text, params);
  let raw: PgResult;
  try {
    raw = await target.query(text, params);
  } catch (error) {
    throw new QueryFailedError(text, params, error as Error);
  }
  return (
    raw.command === 'UPDATE' || raw.command === 'DELETE' ? [raw.rows, raw.rowCount] : raw.rows
  ) as T;
}

/** The connection of a live transaction, the pool outside one, or undefined to fall back. */
function queryableOf(manager: EntityManager): PgQueryable | undefined {
  const runner = manager.queryRunner as
    { isReleased: boolean; databaseConnection?: PgQueryable } | undefined;
  if (runner) return runner.isReleased ? undefined : runner.databaseConnection;
  const driver = manager.connection.driver as { master?: PgQueryable };
  return manager.connection.options.type === 'postgres' ? driver.master : undefined;
}
