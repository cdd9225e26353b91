import { AUDIT_RECORD_COLUMNS } from './audit-record';
import { ExportFormat } from './audit-export';
import { AuditFilterSql, AuditKey, keysetRowsSql } from './audit-stream.queries';

/**
 * A keyset batch of an export whose lines the statement renders: each record's NDJSON line
 * or CSV row, exactly as the service rendered them from the record's JSON before (csvRow in
 * audit-export.ts stays the reference, and the fallback for a batch that mentions a seal).
 * Read as raw text rows, the service only joins, hashes and forwards them: no row objects,
 * dates or JSON are parsed per record.
 *
 * One text value per batch (string_agg) was measured and rejected: the backend then spent
 * about three times the CPU per record, mostly in allocating and sending a multi-megabyte
 * value, while the service saved little.
 */
export type ExportLineRow = [id: string, created: string, line: string];

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

/** The statement of one export batch: the keyset read of keysetRowsSql, each row rendered. */
export function exportBatchSql(
  json: string,
  format: ExportFormat,
  filter: AuditFilterSql,
  q: { after?: AuditKey; until?: Date; limit: number },
): { sql: string; params: unknown[] } {
  const line = format === 'csv' ? csvRowSql(json) : `${json} || E'\\n'`;
  return keysetRowsSql(`r.id, r.created, ${line} AS line`, filter, q);
}
