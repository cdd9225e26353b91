import { Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { isIP } from 'node:net';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return value;
};

/** Every environment variable the service reads, with its default. `.env.example` mirrors this. */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * Which proxies' X-Forwarded-For is believed for the caller's address (logs, rate limits):
   * unset or `false` believes none; a hop count; or a comma list of addresses and CIDRs.
   */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  /** Longest a normal stop may take (job runner, HTTP, database) before the process exits. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 7000;

  /**
   * The URL clients reach the service at: the issuer and the base of every location.
   * Required in production (a relying party refuses an issuer that is not the URL it
   * fetched discovery from); defaults to http://localhost:PORT elsewhere.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @Matches(/^[^?#]*$/, { message: 'PUBLIC_BASE_URL must not carry a query or a fragment' })
  PUBLIC_BASE_URL?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * A streaming replica of DATABASE_URL's database that searches and reads of the trail run
   * on (the records of those reads are still written to DATABASE_URL). Unset: searches read
   * DATABASE_URL. DATABASE_PASSWORD applies to it too.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'SEARCH_DATABASE_URL must be a postgres:// URL' })
  SEARCH_DATABASE_URL?: string;

  /**
   * Searches go to DATABASE_URL instead of the replica while the replica's replay lag is above
   * this many milliseconds (checked every second), so a search never trails a write by more.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SEARCH_REPLICA_MAX_LAG_MS = 1000;

  /**
   * The password of DATABASE_URL's role, given apart so it needs no URL encoding (any
   * character works); it replaces a password written in DATABASE_URL.
   */
  @IsOptional()
  @IsString()
  DATABASE_PASSWORD?: string;

  /**
   * The role that owns the schema: migrations, the job queue's schema and the service role's
   * grants run as it at start-up. Defaults to DATABASE_URL outside production.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'MIGRATION_DATABASE_URL must be a postgres:// URL' })
  MIGRATION_DATABASE_URL?: string;

  /** The password of MIGRATION_DATABASE_URL's role, given apart like DATABASE_PASSWORD. */
  @IsOptional()
  @IsString()
  MIGRATION_DATABASE_PASSWORD?: string;

  @IsString()
  EMBEDDED_PG_DATA_DIR = '.data/pg';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /** Longest opening one database connection may take (pg's connect timeout). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_CONNECT_TIMEOUT_MS = 2000;

  /** Longest a request waits for a pooled write connection (connecting included); 503 beyond. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_POOL_ACQUIRE_TIMEOUT_MS = 3000;

  /**
   * Longest one statement on the write connections may run: the server cancels it
   * (`statement_timeout`), and the client gives up on an answer that never comes (a hung
   * server) a moment later, dropping that connection. 503 beyond.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 4000;

  /** Longest a statement on the write connections waits for a row or table lock. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_LOCK_TIMEOUT_MS = 2000;

  /**
   * Failure records kept in memory while the database cannot take them, written when it
   * returns; beyond this many the oldest are dropped (counted in a metric and logged).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUDIT_BACKLOG_MAX = 10_000;

  /** Connections per instance for searches and reads of the trail, apart from the writes'. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  SEARCH_POOL_SIZE = 4;

  @Matches(/^[a-z0-9][a-z0-9-]{1,62}(,[a-z0-9][a-z0-9-]{1,62})*$/, {
    message:
      'BOOTSTRAP_TENANTS must be a comma list of tenant names matching ^[a-z0-9][a-z0-9-]{1,62}$',
  })
  BOOTSTRAP_TENANTS = 'default';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'BOOTSTRAP_ADMIN_SECRET must be at least 16 characters' })
  BOOTSTRAP_ADMIN_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(128)
  CORRELATION_ID_MAX_LENGTH = 64;

  @Transform(toBool)
  @IsBoolean()
  AUDIT_LOG_ACCESS = true;

  @IsIn(['Resources', 'resources'])
  SCIM_RESOURCES_KEY: 'Resources' | 'resources' = 'Resources';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES = 1_048_576;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  IMPORT_BODY_LIMIT_BYTES = 10_485_760;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  IMPORT_MAX_ITEMS = 10_000;

  /** Items one import batch (one transaction) takes at most. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  IMPORT_BATCH_SIZE = 500;

  /** Import jobs one instance works on at once (each import's batches run in order). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  IMPORT_CONCURRENCY = 2;

  /** Seconds an import job may run before it counts as lost and is retried elsewhere. */
  @Transform(toInt)
  @IsInt()
  @Min(3)
  @Max(3600)
  IMPORT_JOB_EXPIRE_SECONDS = 60;

  /** How often the job queue looks for jobs whose worker died (expired) to retry them. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  JOBS_MAINTENANCE_INTERVAL_SECONDS = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4096)
  USERNAME_MAX_LENGTH = 256;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65536)
  STRING_MAX_LENGTH = 1024;

  @Transform(toInt)
  @IsInt()
  @Min(8)
  @Max(512)
  JSON_MAX_DEPTH = 64;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  ACCESS_TOKEN_TTL_SECONDS = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SEARCH_STATEMENT_TIMEOUT_MS = 5000;

  /**
   * Whether a cursor page (RFC 9865) counts every match for totalResults (`exact`) or leaves
   * totalResults out (`omit`), which spares a broad search's first page the count. Index
   * paging (startIndex) and `count=0` always count.
   */
  @IsIn(['exact', 'omit'])
  SEARCH_CURSOR_TOTAL: 'exact' | 'omit' = 'exact';

  /** Longest a search waits for one of the SEARCH_POOL_SIZE connections; 503 beyond. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SEARCH_QUEUE_TIMEOUT_MS = 10_000;

  /** Records an export reads per statement (keyset batch on the search connections). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(50_000)
  EXPORT_BATCH_SIZE = 5000;

  /** How often the live tail looks for new records (one statement per filter per tenant). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000)
  TAIL_POLL_INTERVAL_MS = 500;

  /** Requests per client address per window; 0 turns rate limiting off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_MAX = 0;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Authenticated requests per client per RATE_LIMIT_WINDOW_SECONDS; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_CLIENT_MAX = 0;

  /** Authenticated requests per tenant per RATE_LIMIT_WINDOW_SECONDS; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  RATE_LIMIT_TENANT_MAX = 0;

  /**
   * Failed client authentications per claimed client id, and per caller address, within
   * AUTH_FAILURE_WINDOW_SECONDS; past it the next attempts are answered 429. 0 turns it off.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUTH_FAILURE_MAX = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  AUTH_FAILURE_WINDOW_SECONDS = 60;

  /**
   * Throttled (429) authentication attempts repeating the same client id from the same
   * address within this many seconds: the first is recorded, the rest as one record with
   * their count at the window's end.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  AUTH_FAILURE_COALESCE_SECONDS = 10;

  /**
   * How long a throttled (429) authentication attempt, or an invalid bearer token from a
   * throttled address (401), waits for its answer, at most the Retry-After: a client that honours Retry-After loses nothing, and a flood on a few
   * connections is slowed to a few answers a second each. 0 answers at once.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  AUTH_FAILURE_DELAY_MS = 1000;

  /** Longest the request line and headers may take to arrive (Node's headersTimeout). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** Longest a whole request, body included, may take to arrive; 408 beyond. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 60_000;

  /** How long an idle keep-alive connection is kept open after an answer. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  /** A socket with no traffic at all for this long is closed. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_IDLE_TIMEOUT_MS = 120_000;

  /** Open connections the server accepts at once; more are refused at the socket. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_MAX_CONNECTIONS = 1024;

  /** CIBA: minimum seconds between token polls (`interval`); each slow_down adds 5. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(60)
  CIBA_POLL_INTERVAL_SECONDS = 5;

  /**
   * CIBA: challenge deliveries in flight at once on an instance (bcauthorize's own attempts
   * and the retry job's workers); the rest wait their turn.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  CIBA_DELIVERY_CONCURRENCY = 4;

  /**
   * Keys of the audit records' MACs, `id:base64secret` separated by commas, the first one
   * current (the others only verify older records). Never stored in the database. Required
   * in production (or AUDIT_RECORD_KEYS_FILE); generated beside the data folder elsewhere.
   */
  @IsOptional()
  @Matches(
    /^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/=_-]{22,}(,[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/=_-]{22,})*$/,
    {
      message:
        'AUDIT_RECORD_KEYS must be id:base64secret[,id:base64secret...] (secrets of 16 bytes or more)',
    },
  )
  AUDIT_RECORD_KEYS?: string;

  /** A file holding AUDIT_RECORD_KEYS' value (read at start-up). */
  @IsOptional()
  @IsString()
  AUDIT_RECORD_KEYS_FILE?: string;

  /** The seals' Ed25519 private key (PKCS#8 PEM). Required in production (or the _FILE form). */
  @IsOptional()
  @Matches(/-----BEGIN PRIVATE KEY-----/, {
    message: 'AUDIT_SEALING_KEY must be a PKCS#8 PEM private key',
  })
  AUDIT_SEALING_KEY?: string;

  /** A file holding the sealing key (PKCS#8 PEM). */
  @IsOptional()
  @IsString()
  AUDIT_SEALING_KEY_FILE?: string;

  /** How often each instance seals the records committed since the last seal. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  AUDIT_SEAL_INTERVAL_SECONDS = 5;

  /**
   * Days the trail keeps a month after it ends; unset: forever. A tenant's own period
   * (tenants.audit_retention_days) overrides it (docs/retention.md).
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUDIT_RETENTION_DAYS?: number;
  /** Log streams: how often an instance looks for streams with records to deliver. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  LOG_STREAM_POLL_INTERVAL_MS = 1000;

  /** Log streams: longest a receiver may take to answer one delivery. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  LOG_STREAM_TIMEOUT_MS = 10_000;

  /** Log streams: first retry delay after a failed delivery; doubles per failure. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  LOG_STREAM_RETRY_BASE_MS = 1000;

  /** Log streams: longest delay between two retries. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  LOG_STREAM_RETRY_MAX_MS = 300_000;

  /** Log streams: consecutive failed deliveries after which a stream is paused. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  LOG_STREAM_PAUSE_AFTER_FAILURES = 20;

  /** How often the sampled metrics (queue depth, stream lag, sealing lag) are refreshed. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  METRICS_SAMPLE_INTERVAL_MS = 15_000;

  /** `service.id` stamped on every audit record (HID calls it the channel). */
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/)
  SERVICE_ID = 'CH_DIRECT';
}

/** Validates the raw environment once, naming every bad variable in a single error. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const lines = validateSync(env, { skipMissingProperties: false }).map(
    (e) => `  - ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`,
  );
  // Named in the same message as every other bad variable, not in a second round.
  if (env.NODE_ENV === 'production' && !env.BOOTSTRAP_ADMIN_SECRET) {
    lines.push('  - BOOTSTRAP_ADMIN_SECRET: required when NODE_ENV=production');
  }
  if (env.NODE_ENV === 'production' && env.DATABASE_URL && !env.MIGRATION_DATABASE_URL) {
    lines.push(
      '  - MIGRATION_DATABASE_URL: required when NODE_ENV=production and DATABASE_URL is set (the schema owner; DATABASE_URL is the service role)',
    );
  }
  if (env.TRUST_PROXY !== undefined && parseTrustProxy(env.TRUST_PROXY) === undefined) {
    lines.push(
      '  - TRUST_PROXY: must be false, a hop count (1..16), or a comma list of proxy addresses or CIDRs (loopback, linklocal and uniquelocal name ranges)',
    );
  }
  if (env.NODE_ENV === 'production' && !env.PUBLIC_BASE_URL) {
    lines.push(
      '  - PUBLIC_BASE_URL: required when NODE_ENV=production (the issuer and the base of every location, e.g. https://idp.example.com)',
    );
  }
  if (env.NODE_ENV === 'production' && !env.AUDIT_RECORD_KEYS && !env.AUDIT_RECORD_KEYS_FILE) {
    lines.push(
      '  - AUDIT_RECORD_KEYS: required when NODE_ENV=production (or AUDIT_RECORD_KEYS_FILE)',
    );
  }
  if (env.NODE_ENV === 'production' && !env.AUDIT_SEALING_KEY && !env.AUDIT_SEALING_KEY_FILE) {
    lines.push(
      '  - AUDIT_SEALING_KEY: required when NODE_ENV=production (or AUDIT_SEALING_KEY_FILE)',
    );
  }
  if (lines.length > 0) {
    throw new Error(`Invalid configuration (${lines.length} variable(s)):\n${lines.join('\n')}`);
  }
  return env;
}

/** Who may set the caller's address through X-Forwarded-For: nobody, N hops, or these proxies. */
export type TrustProxy = false | number | string[];

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Reads TRUST_PROXY; undefined when the value is not one of its forms. */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops >= 1 && hops <= 16 ? hops : undefined;
  }
  const entries = v.split(',').map((e) => e.trim());
  return entries.every(isProxyEntry) ? entries : undefined;
}

function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
