import { startTestDatabase, TEST_DB_ENV, TestDatabase } from './test-database';

declare global {
  var __MGMT_TEST_DB__: TestDatabase | undefined;
}

export default async function globalSetup(): Promise<void> {
  const db = await startTestDatabase();
  globalThis.__MGMT_TEST_DB__ = db;
  process.env[TEST_DB_ENV] = db.url;
}
