/**
 * The PostgreSQL error codes (SQLSTATE, PostgreSQL manual appendix A) the service acts on,
 * named once so no code compares a bare string.
 */
export const SqlState = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  /** Raised by statement_timeout (and by a cancel request). */
  QUERY_CANCELED: '57014',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  CONNECTION_FAILURE: '08006',
  /** Raised by lock_timeout. */
  LOCK_NOT_AVAILABLE: '55P03',
} as const;

/** SQLSTATE classes and codes after which the database cannot serve right now: retry later. */
export const UNAVAILABLE_SQLSTATE = new RegExp(
  [
    '^08', // connection exception
    '^53', // insufficient resources (too many connections, out of memory or disk)
    '^57P', // operator intervention (shutdown, crash recovery)
    `^${SqlState.SERIALIZATION_FAILURE}$`,
    `^${SqlState.DEADLOCK_DETECTED}$`,
  ].join('|'),
);
