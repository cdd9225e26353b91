import { Pool } from 'pg';
import { DataSource } from 'typeorm';

/** A connection pool's saturation: connections open, in use, and callers waiting for one. */
export interface PoolStats {
  max: number;
  open: number;
  inUse: number;
  waiting: number;
}

export function poolStats(pool: Pool): PoolStats {
  return {
    max: pool.options.max ?? 10,
    open: pool.totalCount,
    inUse: pool.totalCount - pool.idleCount,
    waiting: pool.waitingCount,
  };
}

/** The writes' pool: the pg Pool behind TypeORM's PostgreSQL driver (its `master`). */
export function dataSourcePoolStats(dataSource: DataSource): PoolStats | undefined {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  return pool ? poolStats(pool) : undefined;
}
