import { TestApp, TestResponse } from './test-app';

export const FORM = 'application/x-www-form-urlencoded';

/** A secret no client has: it must never show up anywhere the server writes. */
export const WRONG_SECRET = 'wrong-secret-that-must-never-leak-0042';

/** A form body from ordered fields (repeated names kept, as a client could send them). */
export function form(fields: [string, string][]): string {
  return new URLSearchParams(fields).toString();
}

/** A raw call on a tenant's token endpoint: the body and headers exactly as given. */
export function postToken(
  t: TestApp,
  tenant: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return t.request({
    method: 'POST',
    url: `/${tenant}/authn/token`,
    headers: { 'content-type': FORM, ...headers },
    payload: body,
  });
}
