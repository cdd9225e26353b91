import { compileScimFilter, parseScimFilter, SqlParams } from '../scim/filter';
import { AUDIT_FILTER_SCHEMA } from './audit.filter-schema';

/** A SCIM filter compiled for `audit_records r`, its placeholders from `$2` on (`$1` is the tenant). */
export interface AuditFilterSql {
  text?: string;
  sql?: string;
  params: unknown[];
}

/** Parses and compiles a filter; throws ScimFilterError (answered 400 invalidFilter). */
export function compileAuditFilter(filter: string | undefined): AuditFilterSql {
  const text = filter?.trim() ? filter : undefined;
  if (!text) return { params: [] };
  const params = new SqlParams(2);
  const sql = compileScimFilter(parseScimFilter(text), AUDIT_FILTER_SCHEMA, params);
  return { text, sql, params: [...params.values] };
}

/** Where a keyset read stands: the last (created, id) it returned. */
export interface AuditKey {
  created: Date;
  id: string;
}

/**
 * A keyset batch in (created, id) order, over the index (tenant_id, created, id): records
 * after `after` (or from `from`, inclusive, when there is no key yet) up to `until`, matching
 * the filter. Constant cost per batch at any depth, unlike OFFSET.
 */
export function keysetBatchSql(
  json: string,
  filter: AuditFilterSql,
  q: { after?: AuditKey; from?: Date; until?: Date; limit: number },
): { sql: string; params: unknown[] } {
  return keysetRowsSql(`r.id, r.created, ${json} AS resource`, filter, q);
}

/** The keyset read of keysetBatchSql selecting `columns` of `audit_records r`. */
export function keysetRowsSql(
  columns: string,
  filter: AuditFilterSql,
  q: { after?: AuditKey; from?: Date; until?: Date; limit: number },
): { sql: string; params: unknown[] } {
  const params: unknown[] = [...filter.params];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length + 1}`;
  };
  const terms: string[] = [];
  if (filter.sql) terms.push(`(${filter.sql})`);
  if (q.after) {
    terms.push(
      `(r.created, r.id) > (${bind(q.after.created)}::timestamptz, ${bind(q.after.id)}::uuid)`,
    );
  } else if (q.from) {
    terms.push(`r.created >= ${bind(q.from)}::timestamptz`);
  }
  if (q.until) terms.push(`r.created <= ${bind(q.until)}::timestamptz`);
  const more = terms.map((term) => ` AND ${term}`).join('');
  const sql = `SELECT ${columns} FROM audit_records r
    WHERE r.tenant_id = $1${more} ORDER BY r.created, r.id LIMIT ${bind(q.limit)}`;
  return { sql, params };
}
