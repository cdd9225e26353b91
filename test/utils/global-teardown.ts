export default async function globalTeardown(): Promise<void> {
  await globalThis.__MGMT_TEST_DB__?.stop();
}
