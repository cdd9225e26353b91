import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Logger } from 'nestjs-pino';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { createApp } from '../../src/main';
import { recordsOfRequest } from './records';
import { TEST_DB_SUPERUSER_ENV, testDatabaseEnv } from './test-database';
import { SearchDatabase } from '../../src/database/search-database';
import { testReplicaUrl } from './test-database';

export const ADMIN_SECRET = 'e2e-admin-secret-0123456789';

export interface InjectOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
  token?: string;
  correlationId?: string;
  /** The caller's socket address (default 127.0.0.1). */
  remoteAddress?: string;
}

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = any>(): T;
}

export class TestApp {
  readonly logs: string[] = [];
  private tokens = new Map<string, string>();

  constructor(
    readonly app: NestFastifyApplication,
    readonly tenant: string,
    readonly tenants: string[],
    logs: string[],
    /** A superuser's connections to the app's database (see `db`). */
    private readonly inspector: DataSource,
  ) {
    this.logs = logs;
  }

  /**
   * The database as a superuser sees it: what a test reads to check the service's work, across
   * tenants (row-level security does not filter it), and what a test that tampers with the
   * trail on purpose writes with. Not the service's own view: that is `serviceDb`.
   */
  get db(): DataSource {
    return this.inspector;
  }

  /** The app's own data source: the service role, with only the service's grants. */
  get serviceDb(): DataSource {
    return this.app.get(DataSource);
  }

  async request(o: InjectOptions): Promise<TestResponse> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.correlationId !== undefined) headers['x-correlation-id'] = o.correlationId;
    let payload: string | undefined;
    if (o.payload !== undefined) {
      payload = typeof o.payload === 'string' ? o.payload : JSON.stringify(o.payload);
      headers['content-type'] ??= 'application/scim+json';
    }
    const res = await this.app.inject({
      method: o.method,
      url: o.url,
      headers,
      payload,
      ...(o.remoteAddress ? { remoteAddress: o.remoteAddress } : {}),
    });
    return {
      statusCode: res.statusCode,
      headers: res.headers as TestResponse['headers'],
      body: res.body,
      json: () => JSON.parse(res.body),
    };
  }

  /** Token endpoint call with client_secret_basic. */
  async tokenRequest(
    form: Record<string, string>,
    clientId = `${this.tenant}-admin`,
    secret = ADMIN_SECRET,
    tenant = this.tenant,
    headers: Record<string, string> = {},
  ): Promise<TestResponse> {
    return this.request({
      method: 'POST',
      url: `/${tenant}/authn/token`,
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      payload: new URLSearchParams(form).toString(),
    });
  }

  /** An admin access token (all scopes) for a tenant, cached. */
  async adminToken(tenant = this.tenant, scope?: string): Promise<string> {
    const key = `${tenant} ${scope ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const res = await this.tokenRequest(
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      `${tenant}-admin`,
      ADMIN_SECRET,
      tenant,
    );
    if (res.statusCode !== 200)
      throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
    const token = res.json<{ access_token: string }>().access_token;
    this.tokens.set(key, token);
    return token;
  }

  /** Audit records of this tenant for a correlation id, oldest first (read from the table). */
  recordsFor(correlationId: string, tenant = this.tenant): Promise<any[]> {
    return recordsOfRequest(this, { correlationId, tenant });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.inspector.destroy();
    live.splice(live.indexOf(this), 1);
    const previous = live.at(-1);
    if (previous) activate(previous.app);
  }
}

/** Apps started by this worker and not closed yet, oldest first. */
const live: TestApp[] = [];

/**
 * Process-wide singletons an app claims when it starts: the TransactionHost `@Transactional()`
 * finds, and Nest's static logger. One app per process is the production shape; a test that
 * starts a second app (a restart, another setting) hands both back to the app still running
 * when it closes. A TransactionHost registers itself for the decorator when it is constructed,
 * so one built over this app's data source, with the adapter the app uses, hands it back.
 */
function activate(app: NestFastifyApplication): void {
  const adapter = new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() });
  new TransactionHost<TransactionalAdapterTypeOrm>({
    ...adapter.optionsFactory(app.get(DataSource)),
    connectionName: undefined,
    enableTransactionProxy: false,
    defaultTxOptions: {},
    extraProviderTokens: [],
  });
  app.useLogger(app.get(Logger));
  // Nest flushes the start-up log buffer when the app listens; tests inject instead.
  app.flushLogs();
}

export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function uniqueId(prefix = 'c'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

/**
 * Starts the real application (Fastify, all modules, real PostgreSQL) for a test file, with
 * its own tenants so test files never see each other's data.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  tenantCount = 1,
  extraModules: (Type | DynamicModule)[] = [],
): Promise<TestApp> {
  const tenants = Array.from({ length: tenantCount }, () => uniqueTenant());
  const config = loadConfig({
    NODE_ENV: 'test',
    ...testDatabaseEnv(),
    BOOTSTRAP_TENANTS: tenants.join(','),
    BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: '5',
    // Every test app is called from 127.0.0.1, and many specs fail authentication on purpose:
    // the throttle is off unless a spec turns it on (auth-abuse.e2e-spec.ts).
    AUTH_FAILURE_MAX: '0',
    ...(testReplicaUrl() ? { SEARCH_DATABASE_URL: testReplicaUrl()! } : {}),
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (logs.length > 5000) logs.splice(0, logs.length - 5000);
      done();
    },
  });
  const app = await createApp(config, sink, extraModules);
  await app.init();
  // Nest buffers Logger lines (bufferLogs) until listen(), which tests never call.
  app.flushLogs();
  await app.getHttpAdapter().getInstance().ready();
  if (testReplicaUrl() && env.SEARCH_DATABASE_URL === undefined) {
    await replicaInUse(app.get(SearchDatabase)).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  }
  activate(app);
  const inspector = await new DataSource({
    type: 'postgres',
    url: process.env[TEST_DB_SUPERUSER_ENV],
    extra: { max: 3 },
  }).initialize();
  const testApp = new TestApp(app, tenants[0], tenants, logs, inspector);
  live.push(testApp);
  return testApp;
}

/** Waits for the first lag check, so a run against a replica searches the replica. */
async function replicaInUse(search: SearchDatabase): Promise<void> {
  for (let i = 0; i < 100 && search.readsFrom !== 'replica'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (search.readsFrom !== 'replica') {
    throw new Error(`the test replica is not in use: ${search.replicaStatus}`);
  }
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
