import {
  startTestDatabase,
  TEST_DB_ENV,
  TEST_DB_OWNER_ENV,
  TEST_DB_SUPERUSER_ENV,
  TestDatabase,
} from './test-database';

declare global {
  var __MGMT_TEST_DB__: TestDatabase | undefined;
}

/**
 * One database for the run: Jest calls this once per project that names it (integration and
 * e2e), in the same process, so the second call finds the first one's server.
 */
export default async function globalSetup(): Promise<void> {
  if (globalThis.__MGMT_TEST_DB__) return;
  const db = await startTestDatabase();
  globalThis.__MGMT_TEST_DB__ = db;
  process.env[TEST_DB_ENV] = db.url;
  process.env[TEST_DB_OWNER_ENV] = db.ownerUrl;
  process.env[TEST_DB_SUPERUSER_ENV] = db.superuserUrl;
}
