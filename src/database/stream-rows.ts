import { ClientBase, Query, QueryConfig, QueryResultRow } from 'pg';

/**
 * Runs one statement on `client` and hands each row to `onRow` as `pg` parses it, instead of
 * collecting the result first. A long read then keeps a socket read's worth of rows alive,
 * not all of them: rows that die young cost the garbage collector almost nothing, while a
 * page of tens of thousands of rows held until the page has been read was copied by every
 * collection that ran meanwhile. PostgreSQL keeps rendering rows while the caller works
 * through the ones that arrived (until the socket's buffers are full).
 *
 * Resolves with the number of rows once the statement has ended. If `onRow` throws, the
 * rows after are not handed on and the promise rejects with that error once the statement
 * has ended (the connection is then usable again).
 */
export function streamRows<T extends QueryResultRow>(
  client: ClientBase,
  config: QueryConfig,
  onRow: (row: T) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let failure: Error | undefined;
    const query = new Query<T>(config);
    query.on('row', (row: T) => {
      if (failure) return;
      try {
        onRow(row);
        rows++;
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    });
    query.on('error', reject);
    query.on('end', () => (failure ? reject(failure) : resolve(rows)));
    client.query(query);
  });
}
