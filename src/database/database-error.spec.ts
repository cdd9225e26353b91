import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DatabaseError } from './database-error';

describe('DatabaseError.isUnavailable', () => {
  // `npm run chaos` met both during database restarts; the first was answered 500.
  it.each([
    ['a transaction whose runner a restart released', new QueryRunnerAlreadyReleasedError()],
    ['a runner whose connection was released', new QueryRunnerProviderAlreadyReleasedError()],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
  ])('is true for %s', (_, error) => {
    expect(DatabaseError.from(error).isUnavailable()).toBe(true);
  });

  it('is false for a constraint violation', () => {
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(DatabaseError.from(error).isUnavailable()).toBe(false);
  });
});
