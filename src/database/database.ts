import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource, EntitySubscriberInterface, QueryResult, QueryRunner } from 'typeorm';
import { DatabaseError } from './database-error';
import { timed } from './query-timing';
import { QueryOptions, SqlClient } from './sql-client';
import { SET_TENANT_SCOPE, TenantScopes } from './tenant-scope';

/**
 * The handle every repository holds: statements run on the CLS transaction's connection
 * (`TransactionHost.tx`, opened by `@Transactional()`), so a change and its audit record
 * commit or roll back together; outside a transaction, each is one auto-committed statement
 * on the data source's pool. Only TypeORM's public query runner API is used.
 *
 * Every statement runs in the tenant scope of the current work (TenantScopes), which the
 * row-level security policies read, set on the connection's session only when it does not
 * already hold it: a pooled connection that already serves this tenant costs no round trip,
 * in a transaction or not. A setting made inside a transaction is undone if it rolls back,
 * so the session is known to hold it only once the transaction has committed (a TypeORM
 * transaction subscriber says so); until then the connection counts as holding nothing
 * known, and the next transaction on it sets the scope again.
 */
@Injectable()
export class Database implements SqlClient {
  /** The scope set in a transaction and its connection, by its query runner (one per transaction). */
  private readonly transactionScopes = new WeakMap<
    QueryRunner,
    { key: string; connection: object }
  >();
  /** The scope a pooled connection's session holds, where that is known for certain. */
  private readonly sessionScopes = new WeakMap<object, string>();
  /** The data sources whose commits this handle follows (one in the service). */
  private readonly followed = new WeakSet<DataSource>();
  /** The name of each statement text kept prepared (`prepare`), the same on every connection. */
  private readonly preparedNames = new Map<string, string>();

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly scopes: TenantScopes,
  ) {}

  /** Runs `fn` over every tenant's rows (TenantScopes.acrossTenants), `reason` naming why. */
  acrossTenants<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.acrossTenants(reason, fn);
  }

  /**
   * Runs one statement and answers its rows. With `prepare`, the statement is kept prepared
   * on each connection that runs it, so PostgreSQL parses and plans it once per connection
   * rather than on every call: for the few fixed statements of the hottest writes (the text
   * must not vary with the values, which are always parameters).
   */
  async query<T>(
    text: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    return (await this.run(text, params, options.prepare === true)).records as T[];
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.run(text, params);
    return result.affected ?? result.records.length;
  }

  /**
   * Runs `work` inside a savepoint of the current transaction: if it fails, only its own
   * statements are rolled back and the transaction stays usable (an import batch then tries
   * its items one by one). Must be called inside `@Transactional()`.
   */
  async savepoint<T>(work: () => Promise<T>): Promise<T> {
    await this.run('SAVEPOINT item', []);
    try {
      const result = await work();
      await this.run('RELEASE SAVEPOINT item', []);
      return result;
    } catch (error) {
      await this.run('ROLLBACK TO SAVEPOINT item', []);
      // A scope set inside the savepoint was rolled back with it: set it again if needed.
      const runner = this.txHost.tx.queryRunner;
      const set = runner && this.transactionScopes.get(runner);
      if (set) set.key = UNKNOWN_SCOPE;
      throw error;
    }
  }

  private async run(
    text: string,
    params: readonly unknown[],
    prepare = false,
  ): Promise<QueryResult> {
    const manager = this.txHost.tx;
    // In a transaction the manager holds its runner; outside one a runner borrows a pooled
    // connection for this statement only, as EntityManager.query does.
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    if (!this.followed.has(manager.connection)) this.followCommits(manager.connection);
    try {
      await this.applyScope(runner, runner === manager.queryRunner);
      if (prepare) return await timed(() => this.runPrepared(runner, text, params));
      return await timed(() => runner.query(text, params as unknown[], true));
    } catch (error) {
      throw DatabaseError.from(error);
    } finally {
      if (runner !== manager.queryRunner) await runner.release();
    }
  }

  /**
   * A statement by name on the runner's own connection: TypeORM's query runner has no way to
   * name one. pg parses it on the connection's first use and binds it afterwards; a prepared
   * statement outlives a rolled-back transaction, and a dropped connection takes its own.
   */
  private async runPrepared(
    runner: QueryRunner,
    text: string,
    params: readonly unknown[],
  ): Promise<QueryResult> {
    let name = this.preparedNames.get(text);
    if (name === undefined) {
      name = `write_${this.preparedNames.size + 1}`;
      this.preparedNames.set(text, name);
    }
    const connection = (await runner.connect()) as PoolClient;
    const raw = await connection.query({ name, text, values: params as unknown[] });
    const result = new QueryResult();
    result.raw = raw;
    result.records = raw.rows;
    result.affected = raw.rowCount ?? undefined;
    return result;
  }

  /**
   * Hands the current tenant scope to the connection's session when it does not hold it yet.
   * In a transaction the first statement sets it, before any savepoint (`savepoint` starts
   * with a statement), so a rolled-back savepoint cannot undo it; the whole transaction
   * rolling back can, which is why the session counts as holding it only after the commit.
   */
  private async applyScope(runner: QueryRunner, inTransaction: boolean): Promise<void> {
    const scope = this.scopes.current();
    // connect() answers the runner's pooled connection (the same one on every call).
    const connection = (await runner.connect()) as object;
    const held = inTransaction
      ? (this.transactionScopes.get(runner)?.key ?? this.sessionScopes.get(connection))
      : this.sessionScopes.get(connection);
    if (held === scope.key || (held === undefined && scope.key === '')) return;
    // Unknown until this statement and, in a transaction, its commit have succeeded.
    this.sessionScopes.set(connection, UNKNOWN_SCOPE);
    await runner.query(SET_TENANT_SCOPE, [scope.tenant, scope.across, false]);
    if (inTransaction) this.transactionScopes.set(runner, { key: scope.key, connection });
    else this.sessionScopes.set(connection, scope.key);
  }

  /** After a transaction's final commit, its connection's session keeps the scope it set. */
  private followCommits(dataSource: DataSource): void {
    this.followed.add(dataSource);
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => {
        // A released savepoint also counts as a commit here; only the outermost one ends it.
        if (!queryRunner || queryRunner.isTransactionActive) return;
        const set = this.transactionScopes.get(queryRunner);
        if (!set) return;
        this.transactionScopes.delete(queryRunner);
        this.sessionScopes.set(set.connection, set.key);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
}

/** Held by a connection whose setting is not known (a set that may have been rolled back). */
const UNKNOWN_SCOPE = '\u0000unknown';
