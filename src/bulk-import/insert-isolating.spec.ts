import { Database } from '../database/database';
import { DatabaseError } from '../database/database-error';
import { insertIsolating } from './import-item';

/** A stand-in for the savepoint: the real one is exercised by the import e2e specs. */
const db = { savepoint: <T>(work: () => Promise<T>) => work() } as unknown as Database;
const refusal = (code: string) => new DatabaseError('refused', code, undefined);

describe('insertIsolating', () => {
  const rows = ['a', 'bad', 'c'];

  it('inserts the batch in one statement when the database takes it', async () => {
    const calls: string[][] = [];
    const result = await insertIsolating(
      db,
      rows,
      (r) => r,
      async (batch) => {
        calls.push(batch);
        return new Set(batch);
      },
    );
    expect(calls).toEqual([rows]);
    expect(result).toEqual({ inserted: new Set(rows), refused: new Set() });
  });

  it.each(['22021', '23514', '54000'])(
    'tries each row alone when the batch is refused (%s), failing only the refused row',
    async (code) => {
      const result = await insertIsolating(
        db,
        rows,
        (r) => r,
        async (batch) => {
          if (batch.includes('bad')) throw refusal(code);
          return new Set(batch);
        },
      );
      expect(result).toEqual({ inserted: new Set(['a', 'c']), refused: new Set(['bad']) });
    },
  );

  it('lets a database that cannot serve fail the whole batch, to be retried', async () => {
    await expect(
      insertIsolating(
        db,
        rows,
        (r) => r,
        () => Promise.reject(refusal('57P01')),
      ),
    ).rejects.toThrow('refused');
  });
});
