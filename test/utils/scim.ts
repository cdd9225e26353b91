import { AppSuite } from './suite';
import { TestResponse } from './test-app';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** A SCIM error answer (RFC 7644 §3.12): status, media type, body shape and scimType. */
export function expectScimError(res: TestResponse, status: number, scimType?: string): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = res.json();
  expect(body.schemas).toEqual([ERROR_SCHEMA]);
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
  expect(body.detail).toEqual(expect.any(String));
}

/** A PatchOp request on one user of the suite's first tenant, with the admin token. */
export function patchUser(
  s: AppSuite,
  id: string,
  operations: Record<string, any>[],
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return s.send({
    method: 'PATCH',
    url: `${s.users}/${id}`,
    headers,
    payload: { schemas: [PATCH_OP], Operations: operations },
  });
}
