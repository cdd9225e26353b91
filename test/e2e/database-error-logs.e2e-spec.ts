import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DatabaseError } from '../../src/database/database-error';
import { useTestApp } from '../utils/suite';

/**
 * No secret in any log line (issue 12, part 5): statements fail in the three ways that
 * happen in production (a unique violation, a statement cancelled by its timeout, a
 * connection terminated under it) with a password, a client secret and a token among their
 * parameters; the errors are logged the way the service logs them (`{ err }`, as TypeORM's
 * QueryFailedError and as our DatabaseError around it) and the captured output is scanned.
 */
describe('database errors in the logs', () => {
  const s = useTestApp();
  const password = `Pw-${randomBytes(9).toString('hex')}`;
  const clientSecret = `cs-${randomBytes(12).toString('hex')}`;
  const token = `eyJ${randomBytes(24).toString('base64url')}`;
  const secrets = [password, clientSecret, token];
  const logger = new Logger('DatabaseErrorProbe');

  async function failAndLog(run: () => Promise<unknown>): Promise<unknown> {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    logger.error({ err: error }, 'statement failed');
    logger.error({ err: DatabaseError.from(error) }, 'statement failed');
    logger.warn({ err: error, job: 'x' }, 'job failed');
    return error;
  }

  it('a unique violation', async () => {
    const error = await failAndLog(() =>
      s.t.db.query(`INSERT INTO tenants (id) SELECT $1 WHERE $2::text <> $3 AND $4::text <> ''`, [
        s.t.tenant,
        password,
        clientSecret,
        token,
      ]),
    );
    expect(DatabaseError.from(error).isUniqueViolation()).toBe(true);
  });

  it('a statement cancelled by statement_timeout', async () => {
    const runner = s.t.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SET LOCAL statement_timeout = 50`);
      const error = await failAndLog(() =>
        runner.query(`SELECT pg_sleep(2), $1::text, $2::text, $3::text`, secrets),
      );
      expect(DatabaseError.from(error).isQueryCanceled()).toBe(true);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  });

  it('a connection terminated with pg_terminate_backend', async () => {
    const runner = s.t.db.createQueryRunner();
    await runner.connect();
    try {
      const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
      await failAndLog(async () => {
        // Settled at once, so its failure is never an unhandled rejection while the
        // terminating statement is still on its way.
        const pending = runner
          .query(`SELECT pg_sleep(2), $1::text, $2::text, $3::text`, secrets)
          .then(
            () => ({ failed: false as const }),
            (error: unknown) => ({ failed: true as const, error }),
          );
        await new Promise((r) => setTimeout(r, 100));
        await s.t.db.query('SELECT pg_terminate_backend($1)', [pid]);
        const outcome = await pending;
        if (outcome.failed) throw outcome.error;
      });
    } finally {
      await runner.release().catch(() => undefined);
    }
  });

  it('leaves no password, client secret or token in any captured line', () => {
    const text = s.t.logs.join('\n');
    expect(text).toContain('statement failed');
    for (const secret of secrets) expect(text).not.toContain(secret);
    // Nor the statement text, which could carry values a caller wrote into it.
    expect(text).not.toContain('pg_sleep(2), $1');
  });
});
