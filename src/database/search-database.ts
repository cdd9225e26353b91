import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import { PoolStats, poolStats } from './pool-stats';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseError } from './database-error';
import { DATABASE_URL } from './database-url.module';
import { timed } from './query-timing';
import { QueryOptions, SqlClient } from './sql-client';
import { streamRows } from './stream-rows';
import { SET_TENANT_SCOPE, TenantScopes } from './tenant-scope';

/** Rows as arrays of text: every column keeps PostgreSQL's text form. */
const RAW_ROWS = {
  rowMode: 'array',
  types: { getTypeParser: () => (value: string) => value },
} as const;

/** Statement shapes kept prepared; a shape is prepared from its second use on. */
const PREPARED_SHAPES = 256;
/** A connection is replaced after this many statements, dropping what it has prepared. */
const STATEMENTS_PER_CONNECTION = 10_000;
/** How often the replica's replay lag is read. */
const LAG_CHECK_MS = 1000;
/**
 * The replica's replay lag in ms: 0 when it has replayed all it received (an idle primary
 * sends nothing, so the last replayed transaction's age says nothing then), null on a
 * server that is not a replica.
 */
const REPLICA_LAG_SQL = `SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE (EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::int
  END AS lag_ms`;

/**
 * The connections searches and reads of the audit trail run on: a pool of their own
 * (`SEARCH_POOL_SIZE`), so an expensive search can hold up other searches but never a change
 * and its record. Its sessions carry `statement_timeout = SEARCH_STATEMENT_TIMEOUT_MS`, so a
 * search is one auto-committed statement (no transaction to open, set up and commit), and
 * `synchronous_commit = off` for the read records written here (a read changes nothing, so a
 * database crash can lose at most the read records of its last moments, never split a change
 * from its record).
 *
 * A search statement's text depends on the filter's shape, never on its values (they are
 * parameters), so a shape seen again runs as a prepared statement: PostgreSQL then plans it
 * once per connection instead of on every search, which measured as most of a correlation-id
 * search's database time. One-off shapes are not prepared, and connections are recycled, so
 * arbitrary filters cannot grow a session's prepared statements without bound.
 *
 * With `SEARCH_DATABASE_URL`, reads run on that streaming replica and only the statements
 * marked `writes` (the records of reads) on DATABASE_URL. The replica's replay lag is read
 * every second; while it is above SEARCH_REPLICA_MAX_LAG_MS, or unknown (the replica does not
 * answer), reads go to DATABASE_URL, so a search trails a write by at most that bound plus
 * one check interval (docs/scaling.md).
 *
 * Each statement runs in the tenant scope of the current work (TenantScopes), kept on the
 * connection's session: a connection that last served the same tenant needs no extra round
 * trip, another one takes one `set_config` first.
 */
@Injectable()
export class SearchDatabase implements SqlClient, OnApplicationShutdown {
  private readonly logger = new Logger(SearchDatabase.name);
  private readonly pool: Pool;
  /** Recently seen statement texts and their names, oldest first (a Map keeps insertion order). */
  private readonly seen = new Map<string, string>();
  private statements = 0;
  /** The replica's pool, when SEARCH_DATABASE_URL names one. */
  private readonly replica?: Pool;
  /** Whether the last lag check found the replica within its bound. */
  private replicaFresh = false;
  private replicaState?: string;
  private lagTimer?: NodeJS.Timeout;
  /** The tenant scope each pooled connection's session holds. */
  private readonly sessionScopes = new WeakMap<PoolClient, string>();

  constructor(
    @Inject(DATABASE_URL) url: string,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly scopes: TenantScopes,
  ) {
    const options: PoolConfig = {
      max: config.searchPoolSize,
      statement_timeout: Math.trunc(config.searchStatementTimeoutMs),
      // A bounded wait for a connection: past it the search is answered 503 with Retry-After
      // (isDatabaseUnavailable knows pg-pool's timeout), never queued without end.
      connectionTimeoutMillis: Math.trunc(config.searchQueueTimeoutMs),
      options: '-c synchronous_commit=off',
      maxUses: STATEMENTS_PER_CONNECTION,
      application_name: 'management-api search',
    };
    this.pool = new Pool({ ...options, connectionString: url });
    // An idle connection that breaks (a database restart) is replaced on the next query.
    this.pool.on('error', (error) => this.logger.warn(`idle search connection lost: ${error}`));
    const replica = config.searchReplica;
    if (replica) {
      this.replica = new Pool({
        ...options,
        connectionString: replica.url,
        application_name: 'management-api search replica',
      });
      this.replica.on('error', (error) =>
        this.logger.warn(`idle replica search connection lost: ${error}`),
      );
      const check = () => void this.checkLag(replica.maxLagMs);
      check();
      this.lagTimer = setInterval(check, LAG_CHECK_MS);
      this.lagTimer.unref();
    }
  }

  /** How saturated the search connections are (the pool-saturation gauges). */
  poolStats(): PoolStats {
    return poolStats(this.pool);
  }

  /** Runs `fn` over every tenant's rows (TenantScopes.acrossTenants), `reason` naming why. */
  acrossTenants<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.acrossTenants(reason, fn);
  }

  /** The last lag check's verdict: `fresh`, or why searches read DATABASE_URL. */
  get replicaStatus(): string | undefined {
    return this.replicaState;
  }

  /** Where searches run now: `replica` or `primary` (metrics, tests). */
  get readsFrom(): 'replica' | 'primary' {
    return this.replica && this.replicaFresh ? 'replica' : 'primary';
  }

  /**
   * Runs one statement and answers its rows. Failures are `DatabaseError`s
   * (`isQueryCanceled()` when the statement timeout cancelled it).
   */
  async query<T>(
    text: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    return (await this.result(text, params, options)).rows as T[];
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.result(text, params, { writes: true })).rowCount ?? 0;
  }

  /**
   * Runs one statement and hands each row to `onRow` as it arrives (`streamRows`), instead of
   * answering them all at the end: for long reads that look at each row once. Resolves with
   * the number of rows. `onRow` runs while the statement runs, so the statement takes as
   * long as the caller's work on its rows: keep such statements to a bounded number of rows
   * (the search connections' statement timeout applies).
   */
  async stream<T extends QueryResultRow>(
    text: string,
    params: readonly unknown[],
    onRow: (row: T) => void,
    options: QueryOptions = {},
  ): Promise<number> {
    return this.onConnection(options, (client) =>
      streamRows<T>(
        client,
        { text, values: params as unknown[], ...(options.raw ? RAW_ROWS : {}) },
        onRow,
      ),
    );
  }

  private result(text: string, params: readonly unknown[], options: QueryOptions) {
    const name = options.prepare ? this.preparedName(text) : undefined;
    return this.onConnection(options, (client) =>
      client.query({
        text,
        values: params as unknown[],
        ...(name ? { name } : {}),
        ...(options.raw ? RAW_ROWS : {}),
      }),
    );
  }

  /** Runs `statement` on a search connection in the current tenant scope. */
  private async onConnection<R>(
    options: QueryOptions,
    statement: (client: PoolClient) => Promise<R>,
  ): Promise<R> {
    const pool = !options.writes && this.readsFrom === 'replica' ? this.replica! : this.pool;
    const scope = this.scopes.current();
    let client: PoolClient | undefined;
    let failure: Error | undefined;
    try {
      client = await pool.connect();
      const held = this.sessionScopes.get(client);
      if (held !== scope.key && !(held === undefined && scope.key === '')) {
        await client.query(SET_TENANT_SCOPE, [scope.tenant, scope.across, false]);
        this.sessionScopes.set(client, scope.key);
      }
      const connection = client;
      return await timed(() => statement(connection));
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw DatabaseError.from(error);
    } finally {
      // As pool.query does: a connection whose statement failed is not reused.
      client?.release(failure);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.lagTimer);
    await Promise.all([this.pool.end(), this.replica?.end()]);
  }

  private async checkLag(maxLagMs: number): Promise<void> {
    let state: string;
    try {
      const { rows } = await this.replica!.query<{ lag_ms: number | null }>(REPLICA_LAG_SQL);
      const lag = rows[0]?.lag_ms ?? null;
      state =
        lag === null
          ? 'SEARCH_DATABASE_URL is not a replica'
          : lag <= maxLagMs
            ? 'fresh'
            : `replica lag above SEARCH_REPLICA_MAX_LAG_MS (${maxLagMs} ms)`;
    } catch (error) {
      state = `replica unreachable (${String(error)})`;
    }
    this.replicaFresh = state === 'fresh';
    if (state === this.replicaState) return;
    this.replicaState = state;
    if (this.replicaFresh) this.logger.log('searches read the replica');
    else this.logger.warn(`${state}: searches read DATABASE_URL`);
  }

  private preparedName(text: string): string | undefined {
    const name = this.seen.get(text);
    if (name) {
      // Seen again: prepared from now on, and now the most recently used.
      this.seen.delete(text);
      this.seen.set(text, name);
      return name;
    }
    // A new shape gets a name never used before, so no connection can hold it for another text.
    this.seen.set(text, `scim_${++this.statements}`);
    if (this.seen.size > PREPARED_SHAPES) this.seen.delete(this.seen.keys().next().value!);
    return undefined;
  }
}
