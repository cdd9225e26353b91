import { DataSource, QueryRunner } from 'typeorm';

/** Arbitrary constant: the advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK = 7_431_001;

/**
 * Applies pending migrations, one instance at a time: several service instances may start
 * together against one database, and TypeORM takes no lock of its own. `after` runs under
 * the same lock, on the lock's connection (the grants that follow every migration run).
 */
export async function runMigrations(
  dataSource: DataSource,
  after?: (runner: QueryRunner) => Promise<void>,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
    await after?.(runner);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** True when every migration the code knows of has been applied (readiness). */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
