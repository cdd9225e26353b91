import { QueryFailedError } from 'typeorm';
import { SqlState, UNAVAILABLE_SQLSTATE } from './sqlstate';

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/;
/**
 * pg's wording for a dropped connection, for a pool wait or a connect that ran out and for a
 * server that never answered (the client's read timeout: a hung database), and what pg and
 * TypeORM say when a statement meets a connection that a database restart already broke
 * (TypeORM's QueryRunnerProviderAlreadyReleasedError and QueryRunnerAlreadyReleasedError,
 * the latter met by a transaction whose connection a restart broke mid-way): all 503, never 500.
 */
const UNREACHABLE_MESSAGE =
  /Connection terminated|ECONNREFUSED|timeout exceeded when trying to connect|^timeout expired$|Query read timeout|query runner was already released|Query runner already released|is not queryable/i;

/**
 * Every failure of a statement, whichever connection ran it: the SQLSTATE (or the socket
 * error code) and the constraint, if any. The text and parameters are not kept: they must
 * never reach a log line or an error body.
 */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';

  constructor(
    message: string,
    readonly code: string | undefined,
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * The DatabaseError behind any failure: ours, TypeORM's QueryFailedError (transaction
   * begin and commit run through TypeORM), or a raw pg / socket error.
   */
  static from(error: unknown): DatabaseError {
    if (error instanceof DatabaseError) return error;
    const driver: unknown = error instanceof QueryFailedError ? error.driverError : error;
    const fields = (driver ?? {}) as { code?: unknown; constraint?: unknown; message?: unknown };
    const message =
      typeof fields.message === 'string'
        ? fields.message
        : error instanceof Error
          ? error.message
          : String(error);
    return new DatabaseError(
      message,
      typeof fields.code === 'string' ? fields.code : undefined,
      typeof fields.constraint === 'string' ? fields.constraint : undefined,
      { cause: error },
    );
  }

  isUniqueViolation(constraint?: string): boolean {
    return (
      this.code === SqlState.UNIQUE_VIOLATION &&
      (constraint === undefined || this.constraint === constraint)
    );
  }

  isForeignKeyViolation(): boolean {
    return this.code === SqlState.FOREIGN_KEY_VIOLATION;
  }

  /** The statement was cancelled, normally by its statement timeout. */
  isQueryCanceled(): boolean {
    return this.code === SqlState.QUERY_CANCELED;
  }

  isDeadlock(): boolean {
    return this.code === SqlState.DEADLOCK_DETECTED;
  }

  /** The database cannot be reached or cannot serve right now: answer 503, retry later. */
  isUnavailable(): boolean {
    const code = this.code ?? '';
    return (
      UNAVAILABLE_SQLSTATE.test(code) ||
      NETWORK_CODES.test(code) ||
      UNREACHABLE_MESSAGE.test(this.message)
    );
  }
}
