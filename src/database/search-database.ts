import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { PoolStats, poolStats } from './pool-stats';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseError } from './database-error';
import { DATABASE_URL } from './database-url.module';
import { timed } from './query-timing';
import { QueryOptions, SqlClient } from './sql-client';
import { SET_TENANT_SCOPE, TenantScopes } from './tenant-scope';

/** Statement shapes kept prepared; a shape is prepared from its second use on. */
const PREPARED_SHAPES = 256;
/** A connection is replaced after this many statements, dropping what it has prepared. */
const STATEMENTS_PER_CONNECTION = 10_000;

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
  /** The tenant scope each pooled connection's session holds. */
  private readonly sessionScopes = new WeakMap<PoolClient, string>();

  constructor(
    @Inject(DATABASE_URL) url: string,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly scopes: TenantScopes,
  ) {
    this.pool = new Pool({
      connectionString: url,
      max: config.searchPoolSize,
      statement_timeout: Math.trunc(config.searchStatementTimeoutMs),
      // A bounded wait for a connection: past it the search is answered 503 with Retry-After
      // (isDatabaseUnavailable knows pg-pool's timeout), never queued without end.
      connectionTimeoutMillis: Math.trunc(config.searchQueueTimeoutMs),
      options: '-c synchronous_commit=off',
      maxUses: STATEMENTS_PER_CONNECTION,
      application_name: 'management-api search',
    });
    // An idle connection that breaks (a database restart) is replaced on the next query.
    this.pool.on('error', (error) => this.logger.warn(`idle search connection lost: ${error}`));
  }

  /** How saturated the search connections are (the pool-saturation gauges). */
  poolStats(): PoolStats {
    return poolStats(this.pool);
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
    return (await this.run(text, params, options)).rows as T[];
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.run(text, params, {})).rowCount ?? 0;
  }

  /** Runs `fn` over every tenant's rows (TenantScopes.acrossTenants), `reason` naming why. */
  acrossTenants<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.acrossTenants(reason, fn);
  }

  private async run(text: string, params: readonly unknown[], options: QueryOptions) {
    const name = options.prepare ? this.preparedName(text) : undefined;
    const scope = this.scopes.current();
    let client: PoolClient | undefined;
    let failure: Error | undefined;
    try {
      client = await this.pool.connect();
      const held = this.sessionScopes.get(client);
      if (held !== scope.key && !(held === undefined && scope.key === '')) {
        await client.query(SET_TENANT_SCOPE, [scope.tenant, scope.across, false]);
        this.sessionScopes.set(client, scope.key);
      }
      const connection = client;
      return await timed(() =>
        connection.query({
          text,
          values: params as unknown[],
          ...(name ? { name } : {}),
        }),
      );
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw DatabaseError.from(error);
    } finally {
      // As pool.query does: a connection whose statement failed is not reused.
      client?.release(failure);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
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
