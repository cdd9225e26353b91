import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { QueryResult, QueryRunner } from 'typeorm';
import { DatabaseError } from './database-error';
import { timed } from './query-timing';
import { SqlClient } from './sql-client';
import { SET_TENANT_SCOPE, TenantScopes } from './tenant-scope';

/**
 * The handle every repository holds: statements run on the CLS transaction's connection
 * (`TransactionHost.tx`, opened by `@Transactional()`), so a change and its audit record
 * commit or roll back together; outside a transaction, each is one auto-committed statement
 * on the data source's pool. Only TypeORM's public query runner API is used.
 *
 * Every statement runs in the tenant scope of the current work (TenantScopes), which the
 * row-level security policies read: set once per transaction (`set_config(…, true)`, one
 * round trip, and only when the connection's session does not already hold it), and for a
 * statement outside a transaction on the connection's session, which keeps it: a
 * connection that already serves this tenant costs nothing more.
 */
@Injectable()
export class Database implements SqlClient {
  /** The scope set for a transaction, by its query runner (one runner per transaction). */
  private readonly transactionScopes = new WeakMap<QueryRunner, string>();
  /** The scope a pooled connection's session holds (set outside transactions only). */
  private readonly sessionScopes = new WeakMap<object, string>();

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly scopes: TenantScopes,
  ) {}

  /** Runs `fn` over every tenant's rows (TenantScopes.acrossTenants), `reason` naming why. */
  acrossTenants<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.acrossTenants(reason, fn);
  }

  async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.run(text, params)).records as T[];
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
      throw error;
    }
  }

  private async run(text: string, params: readonly unknown[]): Promise<QueryResult> {
    const manager = this.txHost.tx;
    // In a transaction the manager holds its runner; outside one a runner borrows a pooled
    // connection for this statement only, as EntityManager.query does.
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      await this.applyScope(runner, runner === manager.queryRunner);
      return await timed(() => runner.query(text, params as unknown[], true));
    } catch (error) {
      throw DatabaseError.from(error);
    } finally {
      if (runner !== manager.queryRunner) await runner.release();
    }
  }

  /**
   * Hands the current tenant scope to the connection when it does not hold it yet. In a
   * transaction the setting is local to it; the first statement sets it, before any
   * savepoint (`savepoint` starts with a statement), so a rolled-back savepoint cannot undo it.
   */
  private async applyScope(runner: QueryRunner, inTransaction: boolean): Promise<void> {
    const scope = this.scopes.current();
    // connect() answers the runner's pooled connection (the same one on every call).
    const connection = (await runner.connect()) as object;
    const held = inTransaction
      ? (this.transactionScopes.get(runner) ?? this.sessionScopes.get(connection))
      : this.sessionScopes.get(connection);
    if (held === scope.key || (held === undefined && scope.key === '')) return;
    await runner.query(SET_TENANT_SCOPE, [scope.tenant, scope.across, inTransaction]);
    if (inTransaction) this.transactionScopes.set(runner, scope.key);
    else this.sessionScopes.set(connection, scope.key);
  }
}
