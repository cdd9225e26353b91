import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './all-exceptions.filter';

const wrapped = (error: Error) => new QueryFailedError('SELECT 1', [], error);
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection, raw', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a refused connection, wrapped', wrapped(withCode('connect ECONNREFUSED', 'ECONNREFUSED'))],
    ['a dropped connection, wrapped', wrapped(new Error('Connection terminated unexpectedly'))],
    ['a pool wait timeout, raw', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout (hung server)', wrapped(new Error('timeout expired'))],
    ['a read timeout (hung server)', wrapped(new Error('Query read timeout'))],
    ['admin shutdown (57P01)', wrapped(withCode('terminating connection', '57P01'))],
    ['starting up (57P03)', wrapped(withCode('the database system is starting up', '57P03'))],
    ['a connection failure (08006)', wrapped(withCode('connection failure', '08006'))],
    ['too many connections (53300)', wrapped(withCode('too many clients', '53300'))],
    ['a serialization failure (40001)', wrapped(withCode('could not serialize', '40001'))],
    ['a released query runner', new QueryRunnerProviderAlreadyReleasedError()],
    [
      'a broken client',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('%s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', wrapped(withCode('duplicate key', '23505'))],
    ['a statement timeout', wrapped(withCode('canceling statement', '57014'))],
    ['a programming error', new TypeError('x is undefined')],
  ])('not %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
