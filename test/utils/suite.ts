import { DynamicModule, Type } from '@nestjs/common';
import { createTestApp, InjectOptions, TestApp, TestResponse } from './test-app';

/** What a test file shares once its app has started. */
export interface AppSuite {
  t: TestApp;
  /** Admin token of the first tenant, all scopes. */
  token: string;
  /** `/{tenant}/v2/Users` of the first tenant. */
  users: string;
  /** A request with the admin token unless the options carry another. */
  send(o: InjectOptions): Promise<TestResponse>;
}

/**
 * Starts one app for the enclosing `describe` (before its tests, closed after them) and
 * returns the shared handles. The returned object is filled in `beforeAll`, so read it inside
 * tests or hooks, not at collection time.
 */
export function useTestApp(
  o: {
    env?: Record<string, string>;
    tenants?: number;
    modules?: (Type | DynamicModule)[];
    /** false for files that count the token endpoint's own records and log lines */
    adminToken?: boolean;
  } = {},
): AppSuite {
  const suite = {
    send: (o: InjectOptions) => suite.t.request({ token: suite.token, ...o }),
  } as AppSuite;
  beforeAll(async () => {
    suite.t = await createTestApp(o.env, o.tenants, o.modules);
    if (o.adminToken !== false) suite.token = await suite.t.adminToken();
    suite.users = `/${suite.t.tenant}/v2/Users`;
  });
  afterAll(() => suite.t?.close());
  return suite;
}
