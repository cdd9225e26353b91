import { TestApp } from './test-app';

/** Three items per batch, so every import of more than three crosses batch boundaries. */
export const IMPORT_TEST_ENV = {
  IMPORT_BATCH_SIZE: '3',
  IMPORT_MAX_ITEMS: '25',
  IMPORT_BODY_LIMIT_BYTES: '20000',
};

export type ImportResource = 'Users' | 'Devices' | 'Organizations';

/** Posts an import and returns its 201 response. */
export async function postImport(
  t: TestApp,
  resource: ImportResource,
  body: unknown,
  correlationId?: string,
) {
  return t.request({
    method: 'POST',
    url: `/${t.tenant}/v2/${resource}/.import`,
    token: await t.adminToken(),
    correlationId,
    payload: body,
  });
}

/**
 * Polls the status document until the import has ended (or the deadline passes). The
 * location is absolute (PUBLIC_BASE_URL); the app is reached in-process by its path.
 */
export async function waitForImport(
  t: TestApp,
  location: string,
  timeoutMs = 30_000,
): Promise<any> {
  const token = await t.adminToken();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = new URL(location, 'http://localhost').pathname;
    const res = await t.request({ method: 'GET', url, token });
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`);
    const status = res.json();
    if (status.status === 'completed' || status.status === 'failed') return status;
    if (Date.now() > deadline) throw new Error(`import still ${status.status}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
