export default async function globalTeardown(): Promise<void> {
  // Called once per project, like the setup: the first call stops the server.
  const db = globalThis.__MGMT_TEST_DB__;
  globalThis.__MGMT_TEST_DB__ = undefined;
  await db?.stop();
}
