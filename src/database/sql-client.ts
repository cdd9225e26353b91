/** How a statement runs. */
export interface QueryOptions {
  /**
   * Keep the statement prepared on its connection: on the search connections once its text
   * is seen again; on `Database` (fixed texts of the busiest writes) from its first use.
   */
  prepare?: boolean;
  /**
   * The statement writes (the records of reads): on the search connections it then runs on
   * DATABASE_URL even when searches read a replica (SEARCH_DATABASE_URL).
   */
  writes?: boolean;
  /**
   * Rows as arrays of the columns' text, unparsed (no Date or JSON values): for long reads
   * that pass text on, where per-row parsing is most of the service's work. Search
   * connections only: `Database` answers parsed rows whatever this says.
   */
  raw?: boolean;
}

/**
 * The one way code reaches PostgreSQL: a statement and its bound parameters in, rows out.
 * Implemented by `Database` (the CLS transaction's connection) and `SearchDatabase` (the
 * search connections). Failures are always `DatabaseError`s.
 */
export interface SqlClient {
  /** Runs one statement and answers its rows (those of `RETURNING`, for writes). */
  query<T>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]>;
  /** Runs one statement and answers how many rows it wrote, read or deleted. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}
