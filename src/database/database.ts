import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { QueryResult } from 'typeorm';
import { DatabaseError } from './database-error';
import { timed } from './query-timing';
import { SqlClient } from './sql-client';

/**
 * The handle every repository holds: statements run on the CLS transaction's connection
 * (`TransactionHost.tx`, opened by `@Transactional()`), so a change and its audit record
 * commit or roll back together; outside a transaction, each is one auto-committed statement
 * on the data source's pool. Only TypeORM's public query runner API is used.
 */
@Injectable()
export class Database implements SqlClient {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

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
      return await timed(() => runner.query(text, params as unknown[], true));
    } catch (error) {
      throw DatabaseError.from(error);
    } finally {
      if (runner !== manager.queryRunner) await runner.release();
    }
  }
}
