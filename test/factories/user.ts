import { TestApp, uniqueId, USER_SCHEMA } from '../utils/test-app';

export type Json = Record<string, any>;

/** A SCIM User as the API returns it on creation. */
export interface CreatedUser extends Json {
  id: string;
  userName: string;
  meta: { version: string; created: string; lastModified: string; location: string };
}

/** A SCIM User request body: a fresh unique userName unless the overrides name one. */
export function user(overrides: Json = {}): Json {
  return { schemas: [USER_SCHEMA], userName: uniqueId('u'), ...overrides };
}

/** The same body with its userName first, for the many tests that only care about the name. */
export function userBody(userName: string, extra: Json = {}): Json {
  return user({ userName, ...extra });
}

/**
 * A user created through `POST /{tenant}/v2/Users` as a caller would; fails the test unless
 * the answer is 201, and returns the created resource.
 */
export async function createUser(
  t: TestApp,
  overrides: Json = {},
  o: { token?: string; correlationId?: string; tenant?: string } = {},
): Promise<CreatedUser> {
  const tenant = o.tenant ?? t.tenant;
  const res = await t.request({
    method: 'POST',
    url: `/${tenant}/v2/Users`,
    token: o.token ?? (await t.adminToken(tenant)),
    correlationId: o.correlationId,
    payload: user(overrides),
  });
  if (res.statusCode !== 201)
    throw new Error(`user creation failed: ${res.statusCode} ${res.body}`);
  return res.json<CreatedUser>();
}
