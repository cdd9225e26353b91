import { AUDIT_RECORD_COLUMNS } from './audit-record';
import { ExportFormat } from './audit-export';
import { AuditFilterSql, AuditKey, keysetRowsSql } from './audit-stream.queries';

/**
 * A keyset batch of an export rendered by the statement as one text value: the batch's
 * NDJSON lines or CSV rows, exactly as the service rendered them from each record's JSON
 * before (csvRow in audit-export.ts stays the reference, and the fallback for a batch that
 * mentions a seal). One value per batch instead of one row object per record is what lets
 * the service only hash and forward text.
 *
 * `string_agg` and `array_agg` read the keyset subquery in its (created, id) order: a plain
 * aggregate over a subquery with ORDER BY and LIMIT (which cannot be flattened) consumes it
 * in order. An ORDER BY inside the aggregate would sort megabytes of text a second time,
 * past work_mem, to the same order.
 */
export interface ExportBatchRow {
  /** Records in the batch (0 when there are no more). */
  n: number;
  /** Their lines (NDJSON) or rows (CSV), each ending with its line break; null when n = 0. */
  body: string | null;
  first_id: string | null;
  first_created: Date | null;
  last_id: string | null;
  last_created: Date | null;
}

/** A stored record's `created` as its JSON renders it (milliseconds, UTC, `Z`). */
const createdText = (alias: string) =>
  `to_char(${alias}.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A CSV cell of a text value as csvCell (audit-export.ts) writes it: empty for null, a
 * leading apostrophe where a spreadsheet would read a formula, quoted (quotes doubled) when
 * it holds a quote, comma or line break. Most values need neither, so one test decides; the
 * value is repeated only on the rare path that rewrites it.
 */
export function csvCellSql(value: string): string {
  const guarded = `CASE WHEN ${value} ~ '^[=+\\-@\\t\\r]' THEN '''' || ${value} ELSE ${value} END`;
  return (
    `CASE WHEN ${value} IS NULL THEN '' ` +
    `WHEN ${value} !~ '^[=+\\-@\\t\\r]|[",\\r\\n]' THEN ${value} ` +
    `WHEN ${guarded} ~ '[",\\r\\n]' THEN '"' || replace(${guarded}, '"', '""') || '"' ` +
    `ELSE ${guarded} END`
  );
}

/**
 * One CSV row of a record (CSV_HEADER's columns), its JSON given as SQL over `alias`. The
 * uuid, timestamp and constrained `result` cells cannot need quoting or a guard; the record
 * JSON always holds quotes, so it is always quoted. The rendered JSON carries no seal, so
 * `sealId` is empty (a batch that mentions one is rendered by the service instead).
 */
export function csvRowSql(json: string, alias = 'r'): string {
  const c = (column: (typeof AUDIT_RECORD_COLUMNS)[number]) => `${alias}.${column}`;
  const cells = [
    `${c('id')}::text`,
    createdText(alias),
    csvCellSql(c('correlation_id')),
    `${c('request_id')}::text`,
    csvCellSql(c('coi')),
    csvCellSql(c('action_name')),
    c('result'),
    csvCellSql(c('message')),
    csvCellSql(c('acting_user_id')),
    csvCellSql(c('target_user_id')),
    csvCellSql(c('target_user_immutable_id')),
    csvCellSql(c('trace_id')),
    csvCellSql(`(${c('client')} ->> 'ipAddress')`),
    `''`,
  ];
  return `${cells.join(` || ',' || `)} || ',"' || replace(${json}, '"', '""') || E'"\\r\\n'`;
}

/** The statement of one export batch: the keyset read of keysetRowsSql, aggregated to text. */
export function exportBatchSql(
  json: string,
  format: ExportFormat,
  filter: AuditFilterSql,
  q: { after?: AuditKey; until?: Date; limit: number },
): { sql: string; params: unknown[] } {
  const rows = keysetRowsSql('r.*', filter, q);
  const line = format === 'csv' ? csvRowSql(json) : `${json} || E'\\n'`;
  const sql = `SELECT count(*)::int AS n, string_agg(${line}, '') AS body,
    (array_agg(r.id))[1] AS first_id, min(r.created) AS first_created,
    (array_agg(r.id))[count(*)::int] AS last_id, max(r.created) AS last_created
    FROM (${rows.sql}) r`;
  return { sql, params: rows.params };
}
