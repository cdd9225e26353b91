import { ScalarType, SqlParams } from './filter';
import { CursorPosition } from './scim-cursor';
import { SortDirection } from './scim-search-request';

/**
 * A total order for paging: the sort key, then the row id. Keyset paging continues after the
 * last row seen with a comparison on (key, id), so page 100,000 costs what page 1 costs where
 * an index serves the order, and rows added meanwhile never shift a page.
 */
export interface KeysetOrder {
  /** SQL of the sort key (from the schema, never from client text). */
  key: string;
  type: ScalarType;
  /** A key that can be NULL sorts its NULLs last in both directions. */
  nullable: boolean;
  /** SQL of the unique tie-breaker, a uuid column. */
  id: string;
  direction: SortDirection;
}

const CASTS: Record<ScalarType, string> = {
  string: 'text',
  number: 'numeric',
  boolean: 'boolean',
  dateTime: 'timestamptz',
};

export function keysetOrderBy(order: KeysetOrder): string {
  const nulls = order.nullable ? ' NULLS LAST' : '';
  return `${order.key} ${order.direction}${nulls}, ${order.id} ${order.direction}`;
}

/** The sort key as text, selected with each row so the next cursor can be made from it. */
export function keysetKeyColumn(order: KeysetOrder): string {
  return `(${order.key})::text`;
}

/**
 * The condition "after `position`" in `order`. A non-null key is a row comparison, which
 * PostgreSQL matches to a (…, key, id) index; a nullable key adds the NULLs that sort last.
 */
export function keysetAfter(
  order: KeysetOrder,
  position: CursorPosition,
  params: SqlParams,
): string {
  const cmp = order.direction === 'ASC' ? '>' : '<';
  const id = `${params.bind(position.id)}::uuid`;
  if (position.key === null) {
    // Only NULL keys remain after a NULL key; among them the id decides.
    return `(${order.key} IS NULL AND ${order.id} ${cmp} ${id})`;
  }
  const key = `${params.bind(position.key)}::${CASTS[order.type]}`;
  const row = `(${order.key}, ${order.id}) ${cmp} (${key}, ${id})`;
  return order.nullable ? `(${row} OR ${order.key} IS NULL)` : row;
}
