/**
 * The export's formats (docs/audit-export.md): NDJSON, one record per line exactly as search
 * returns it, then the manifest as the last line; CSV, a header and one row per record whose
 * last column is that same JSON, with the manifest in the `X-Export-Manifest` trailer.
 */

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_MANIFEST_SCHEMA = 'urn:hid:scim:api:idp:2.0:AuditExportManifest';
export const EXPORT_MANIFEST_TRAILER = 'x-export-manifest';

/** What an export proves about its body, to be checked offline. */
export interface ExportManifest {
  schemas: string[];
  tenantId: string;
  format: ExportFormat;
  filter?: string;
  /** The record id the export resumed after, if it did. */
  after?: string;
  /** The database time the export stops at: records created later are not in it. */
  until: string;
  count: number;
  firstId?: string;
  lastId?: string;
  firstCreated?: string;
  lastCreated?: string;
  /** SHA-256 (hex) of every byte of the body before the manifest line. */
  sha256: string;
  /** The seals covering the records, when the records carry one (integrity issue). */
  seals?: { first: string; last: string; unsealedRecords: number };
  /** A compact JWS over the manifest without this member, when a sealing key is available. */
  signature?: string;
}

/** Signs an export's manifest with the tenant's sealing key; provided by the integrity module. */
export interface ExportManifestSigner {
  sign(tenant: string, payload: string): Promise<string | undefined>;
}
export const EXPORT_MANIFEST_SIGNER = Symbol('EXPORT_MANIFEST_SIGNER');

const CSV_COLUMNS = [
  'id',
  'created',
  'correlationId',
  'requestId',
  'coi',
  'actionName',
  'result',
  'message',
  'actingUserId',
  'targetUserId',
  'targetUserImmutableId',
  'traceId',
  'clientIpAddress',
  'sealId',
  'record',
] as const;

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

/** The members of a record's JSON a CSV row reads; the newer ones may be absent. */
export interface ExportedRecordShape {
  id?: string;
  created?: string;
  correlationId?: string;
  requestId?: string;
  coi?: string;
  action?: { actionName?: string };
  result?: string;
  message?: string | null;
  actingUserId?: { id?: string };
  targetUserId?: { id?: string; immutableId?: string };
  traceId?: string;
  client?: { ipAddress?: string };
  seal?: { id?: unknown };
  sealId?: unknown;
}

/** One CSV row (RFC 4180) of a record given as its JSON text. */
export function csvRow(resource: string): string {
  const r = JSON.parse(resource) as ExportedRecordShape;
  const cells: (string | null | undefined)[] = [
    r.id,
    r.created,
    r.correlationId,
    r.requestId,
    r.coi,
    r.action?.actionName,
    r.result,
    r.message,
    r.actingUserId?.id,
    r.targetUserId?.id,
    r.targetUserId?.immutableId,
    r.traceId,
    r.client?.ipAddress,
    sealIdOf(r),
  ];
  return `${cells.map((c) => csvCell(c, true)).join(',')},${csvCell(resource, false)}\r\n`;
}

/** The id of the seal a record carries, in either shape the integrity issue may give it. */
export function sealIdOf(r: ExportedRecordShape): string | undefined {
  const id: unknown = r.seal?.id ?? r.sealId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * A CSV cell. Convenience cells that a spreadsheet would run as a formula get a leading
 * apostrophe (OWASP's advice); the `record` cell is the exact JSON and starts with `{`.
 */
function csvCell(value: string | null | undefined, guard: boolean): string {
  if (value === undefined || value === null) return '';
  let text = value;
  if (guard && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
