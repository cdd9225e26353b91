import { dirname, resolve } from 'node:path';
import { readEnvironment } from './environment';
import {
  EnvironmentVariables,
  parseTrustProxy,
  TrustProxy,
  validateEnvironment,
} from './env.schema';

/** The typed, validated configuration every other module reads (never process.env). */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Whose X-Forwarded-For gives the caller's address (TRUST_PROXY); false: the socket's. */
  trustProxy: TrustProxy;
  shutdownTimeoutMs: number;
  publicBaseUrl: string;
  databaseUrl?: string;
  /** The schema owner's URL (MIGRATION_DATABASE_URL); DATABASE_URL's when unset. */
  migrationDatabaseUrl?: string;
  embeddedPg: { dataDir: string; port: number };
  /**
   * Where a generated admin secret is also written for the local user (`<tenant>-admin.secret`,
   * mode 600): the folder that holds the embedded data folder, `.data` by default.
   */
  localSecretsDir: string;
  dbPoolSize: number;
  searchPoolSize: number;
  /** Bounds on the write connections (DB_*_TIMEOUT_MS), in milliseconds. */
  dbTimeouts: { connectMs: number; acquireMs: number; statementMs: number; lockMs: number };
  auditBacklogMax: number;
  bootstrapTenants: string[];
  bootstrapAdminSecret?: string;
  correlationIdMaxLength: number;
  auditLogAccess: boolean;
  scimResourcesKey: 'Resources' | 'resources';
  logLevel: string;
  limits: {
    bodyBytes: number;
    importBodyBytes: number;
    importMaxItems: number;
    importBatchSize: number;
    userNameLength: number;
    stringLength: number;
    /** Deepest nesting of objects and arrays a JSON body may have. */
    jsonDepth: number;
  };
  accessTokenTtlSeconds: number;
  jobs: {
    maintenanceIntervalSeconds: number;
    importExpireSeconds: number;
    importConcurrency: number;
  };
  searchStatementTimeoutMs: number;
  searchQueueTimeoutMs: number;
  rateLimit: { max: number; windowSeconds: number; clientMax: number; tenantMax: number };
  authFailures: {
    max: number;
    windowSeconds: number;
    coalesceSeconds: number;
    delayMs: number;
  };
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    idleTimeoutMs: number;
    maxConnections: number;
  };
  /** EXPORT_BATCH_SIZE: records per keyset batch of an export. */
  exportBatchSize: number;
  /** TAIL_POLL_INTERVAL_MS: how often live tails look for new records. */
  tailPollIntervalMs: number;
  searchCursorTotal: 'exact' | 'omit';
  /** The replica searches read, when there is one. */
  searchReplica?: { url: string; maxLagMs: number };
  serviceId: string;
  ciba: { pollIntervalSeconds: number; deliveryConcurrency: number };
  /** The trail's keys as configured; audit/ reads the files and generates missing ones. */
  auditIntegrity: {
    recordKeys?: string;
    recordKeysFile?: string;
    sealingKeyPem?: string;
    sealingKeyFile?: string;
    sealIntervalSeconds: number;
    /** Days a month is kept after it ends; undefined: forever (docs/retention.md). */
    retentionDays?: number;
  };
  logStreams: {
    pollIntervalMs: number;
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    pauseAfterFailures: number;
  };
  metricsSampleIntervalMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function toAppConfig(env: EnvironmentVariables): AppConfig {
  return {
    nodeEnv: env.NODE_ENV as AppConfig['nodeEnv'],
    port: env.PORT,
    host: env.HOST,
    trustProxy: env.TRUST_PROXY !== undefined ? (parseTrustProxy(env.TRUST_PROXY) ?? false) : false,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    databaseUrl: withPassword(env.DATABASE_URL, env.DATABASE_PASSWORD),
    migrationDatabaseUrl: withPassword(env.MIGRATION_DATABASE_URL, env.MIGRATION_DATABASE_PASSWORD),
    embeddedPg: { dataDir: env.EMBEDDED_PG_DATA_DIR, port: env.EMBEDDED_PG_PORT },
    localSecretsDir: dirname(resolve(env.EMBEDDED_PG_DATA_DIR)),
    dbPoolSize: env.DB_POOL_SIZE,
    searchPoolSize: env.SEARCH_POOL_SIZE,
    dbTimeouts: {
      connectMs: env.DB_CONNECT_TIMEOUT_MS,
      acquireMs: env.DB_POOL_ACQUIRE_TIMEOUT_MS,
      statementMs: env.DB_STATEMENT_TIMEOUT_MS,
      lockMs: env.DB_LOCK_TIMEOUT_MS,
    },
    auditBacklogMax: env.AUDIT_BACKLOG_MAX,
    bootstrapTenants: [...new Set(env.BOOTSTRAP_TENANTS.split(','))],
    bootstrapAdminSecret: env.BOOTSTRAP_ADMIN_SECRET,
    correlationIdMaxLength: env.CORRELATION_ID_MAX_LENGTH,
    auditLogAccess: env.AUDIT_LOG_ACCESS,
    scimResourcesKey: env.SCIM_RESOURCES_KEY,
    logLevel: env.LOG_LEVEL,
    limits: {
      bodyBytes: env.BODY_LIMIT_BYTES,
      importBodyBytes: env.IMPORT_BODY_LIMIT_BYTES,
      importMaxItems: env.IMPORT_MAX_ITEMS,
      importBatchSize: env.IMPORT_BATCH_SIZE,
      userNameLength: env.USERNAME_MAX_LENGTH,
      stringLength: env.STRING_MAX_LENGTH,
      jsonDepth: env.JSON_MAX_DEPTH,
    },
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    jobs: {
      maintenanceIntervalSeconds: env.JOBS_MAINTENANCE_INTERVAL_SECONDS,
      importExpireSeconds: env.IMPORT_JOB_EXPIRE_SECONDS,
      importConcurrency: env.IMPORT_CONCURRENCY,
    },
    searchStatementTimeoutMs: env.SEARCH_STATEMENT_TIMEOUT_MS,
    searchQueueTimeoutMs: env.SEARCH_QUEUE_TIMEOUT_MS,
    rateLimit: {
      max: env.RATE_LIMIT_MAX,
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      clientMax: env.RATE_LIMIT_CLIENT_MAX,
      tenantMax: env.RATE_LIMIT_TENANT_MAX,
    },
    authFailures: {
      max: env.AUTH_FAILURE_MAX,
      windowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
      coalesceSeconds: env.AUTH_FAILURE_COALESCE_SECONDS,
      delayMs: env.AUTH_FAILURE_DELAY_MS,
    },
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: env.HTTP_IDLE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    },
    exportBatchSize: env.EXPORT_BATCH_SIZE,
    tailPollIntervalMs: env.TAIL_POLL_INTERVAL_MS,
    searchCursorTotal: env.SEARCH_CURSOR_TOTAL,
    ...(env.SEARCH_DATABASE_URL
      ? {
          searchReplica: {
            url: withPassword(env.SEARCH_DATABASE_URL, env.DATABASE_PASSWORD)!,
            maxLagMs: env.SEARCH_REPLICA_MAX_LAG_MS,
          },
        }
      : {}),
    serviceId: env.SERVICE_ID,
    ciba: {
      pollIntervalSeconds: env.CIBA_POLL_INTERVAL_SECONDS,
      deliveryConcurrency: env.CIBA_DELIVERY_CONCURRENCY,
    },
    auditIntegrity: {
      recordKeys: env.AUDIT_RECORD_KEYS,
      recordKeysFile: env.AUDIT_RECORD_KEYS_FILE,
      sealingKeyPem: env.AUDIT_SEALING_KEY?.replace(/\\n/g, '\n'),
      sealingKeyFile: env.AUDIT_SEALING_KEY_FILE,
      sealIntervalSeconds: env.AUDIT_SEAL_INTERVAL_SECONDS,
      retentionDays: env.AUDIT_RETENTION_DAYS,
    },
    logStreams: {
      pollIntervalMs: env.LOG_STREAM_POLL_INTERVAL_MS,
      timeoutMs: env.LOG_STREAM_TIMEOUT_MS,
      retryBaseMs: env.LOG_STREAM_RETRY_BASE_MS,
      retryMaxMs: env.LOG_STREAM_RETRY_MAX_MS,
      pauseAfterFailures: env.LOG_STREAM_PAUSE_AFTER_FAILURES,
    },
    metricsSampleIntervalMs: env.METRICS_SAMPLE_INTERVAL_MS,
  };
}

/** A database URL with its separately given password put in, encoded, when both are set. */
function withPassword(url: string | undefined, password: string | undefined): string | undefined {
  if (url === undefined || password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/**
 * Loads configuration from an environment map, by default the real environment over `.env`;
 * this folder is the one place that reads process.env.
 */
export function loadConfig(raw: Record<string, string | undefined> = readEnvironment()): AppConfig {
  return toAppConfig(validateEnvironment(raw));
}
