import { EntityManager, QueryFailedError } from 'typeorm';
import { runSql } from './run-sql';

function managerWith(options: {
  runner?: { isReleased: boolean; databaseConnection?: unknown };
  pool?: unknown;
  type?: string;
  fallback?: jest.Mock;
}): EntityManager {
  return {
    queryRunner: options.runner,
    connection: { driver: { master: options.pool }, options: { type: options.type ?? 'postgres' } },
    query: options.fallback ?? jest.fn(),
  } as unknown as EntityManager;
}

const result = (command: string, rows: unknown[], rowCount = rows.length) => ({
  command,
  rows,
  rowCount,
});

describe('runSql', () => {
  it('runs on the transaction connection and answers rows, like EntityManager.query', async () => {
    const query = jest.fn().mockResolvedValue(result('INSERT', [{ id: 1 }]));
    const manager = managerWith({ runner: { isReleased: false, databaseConnection: { query } } });
    await expect(runSql(manager, 'INSERT x', [1])).resolves.toEqual([{ id: 1 }]);
    expect(query).toHaveBeenCalledWith('INSERT x', [1]);
  });

  it('answers [rows, rowCount] for UPDATE and DELETE, as TypeORM does', async () => {
    const query = jest.fn().mockResolvedValue(result('UPDATE', [{ id: 1 }], 1));
    const manager = managerWith({ pool: { query } });
    await expect(runSql(manager, 'UPDATE x')).resolves.toEqual([[{ id: 1 }], 1]);
    query.mockResolvedValue(result('DELETE', [], 3));
    await expect(runSql(manager, 'DELETE x')).resolves.toEqual([[], 3]);
  });

  it('uses the pool outside a transaction', async () => {
    const query = jest.fn().mockResolvedValue(result('SELECT', []));
    await runSql(managerWith({ pool: { query } }), 'SELECT 1');
    expect(query).toHaveBeenCalledWith('SELECT 1', undefined);
  });

  it('wraps driver errors in QueryFailedError keeping the SQLSTATE code', async () => {
    const driverError = Object.assign(new Error('duplicate key'), { code: '23505' });
    const manager = managerWith({ pool: { query: jest.fn().mockRejectedValue(driverError) } });
    const error = await runSql(manager, 'INSERT x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error).toMatchObject({ code: '23505', driverError });
  });

  it('falls back to EntityManager.query when it cannot reach a pg connection', async () => {
    const fallback = jest.fn().mockResolvedValue(['fallback']);
    const released = managerWith({ runner: { isReleased: true }, fallback });
    await expect(runSql(released, 'SELECT 1')).resolves.toEqual(['fallback']);
    const other = managerWith({ type: 'sqlite', pool: { query: jest.fn() }, fallback });
    await expect(runSql(other, 'SELECT 1', [2])).resolves.toEqual(['fallback']);
    expect(fallback).toHaveBeenLastCalledWith('SELECT 1', [2]);
  });
});
