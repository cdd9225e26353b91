import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { types } from 'pg';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SearchService } from '../search/search.service';
import {
  CSV_HEADER,
  csvRow,
  EXPORT_MANIFEST_SCHEMA,
  EXPORT_MANIFEST_SIGNER,
  ExportFormat,
  ExportManifest,
  ExportManifestSigner,
  ExportedRecordShape,
  sealIdOf,
} from './audit-export';
import { ExportLineRow } from './audit-export.queries';
import { AuditStreamRepository, StreamedRecordRow } from './audit-stream.repository';
import { AuditKey, compileAuditFilter } from './audit-stream.queries';
import { AuditService } from './audit.service';

export interface ExportRequest {
  filter?: string;
  format: ExportFormat;
  /** Resume after this record id (as the CLI does after an interrupted download). */
  after?: string;
  /**
   * Called with the finished manifest before the body's end, e.g. to set it as an HTTP
   * trailer (which must be added before the response ends).
   */
  onManifest?: (manifest: ExportManifest) => void;
}

export interface AuditExport {
  body: Readable;
  /** Settles once the body has been read to its end. */
  manifest: Promise<ExportManifest>;
}

/**
 * Streams a tenant's records in (created, id) order, in keyset batches on the search
 * connections: one batch is read only when the previous one has been taken by the socket
 * (Readable.from pulls the generator on demand), so memory stays flat whatever the size.
 * The export stops at the database time it started, so its range is fixed, and is recorded as
 * one `exportAuditRecords` record before the first byte leaves.
 */
@Injectable()
export class AuditExportService {
  constructor(
    private readonly stream: AuditStreamRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(EXPORT_MANIFEST_SIGNER) private readonly signer?: ExportManifestSigner,
  ) {}

  async open(tenant: string, request: ExportRequest): Promise<AuditExport> {
    const filter = compileAuditFilter(request.filter);
    const { after, until } = await this.search.run(async () => ({
      after: request.after ? await this.resumeKey(tenant, request.after) : undefined,
      until: await this.stream.now(),
    }));
    await this.audit.record('exportAuditRecords', {
      parameters: {
        filter: filter.text,
        format: request.format,
        after: request.after,
        until: until.toISOString(),
      },
    });
    const manifest: ExportManifest = {
      schemas: [EXPORT_MANIFEST_SCHEMA],
      tenantId: tenant,
      format: request.format,
      ...(filter.text ? { filter: filter.text } : {}),
      ...(request.after ? { after: request.after } : {}),
      until: until.toISOString(),
      count: 0,
      sha256: '',
    };
    let settle!: { resolve: (m: ExportManifest) => void; reject: (e: unknown) => void };
    const done = new Promise<ExportManifest>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => undefined);
    const q = (key?: AuditKey) => ({ after: key, until, limit: this.config.exportBatchSize });
    const reads: BatchReads = {
      lines: (key) => this.stream.exportBatch(tenant, filter, request.format, q(key)),
      rows: (key) => this.stream.batch(tenant, filter, q(key)),
    };
    const body = Readable.from(
      this.chunks(tenant, request.format, manifest, after, reads, {
        resolve: (done) => {
          request.onManifest?.(done);
          settle.resolve(done);
        },
      }),
      { objectMode: false, highWaterMark: 1 << 20 },
    );
    body.on('error', (error) => settle.reject(error));
    return { body, manifest: done };
  }

  /**
   * The body: batches rendered by the statement, hashed and passed on as they are. The next
   * batch is read while the socket takes this one (at most one read ahead, so memory stays
   * a few batches whatever the size).
   */
  private async *chunks(
    tenant: string,
    format: ExportFormat,
    manifest: ExportManifest,
    start: AuditKey | undefined,
    reads: BatchReads,
    settle: { resolve: (m: ExportManifest) => void },
  ): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    const seals = new SealRange();
    const out = (text: string): Buffer => {
      const chunk = Buffer.from(text);
      hash.update(chunk);
      return chunk;
    };
    if (format === 'csv') yield out(CSV_HEADER);
    const size = this.config.exportBatchSize;
    let key = start;
    let next: Promise<ExportLineRow[]> | undefined = ahead(reads.lines(key));
    while (next) {
      const rows: ExportLineRow[] = await next;
      if (rows.length === 0) break;
      const [lastId, lastCreated] = rows[rows.length - 1];
      const end = { created: parseTimestamp(lastCreated), id: lastId };
      next = rows.length >= size ? ahead(reads.lines(end)) : undefined;
      let batch: Batch = { n: rows.length, body: '', first: undefined, last: end };
      for (const row of rows) batch.body += row[2];
      if (batch.body.includes('"seal')) {
        // Text that may carry a seal is read again per record, so the seal range is exact.
        batch = renderRows(await reads.rows(key), format, seals);
      } else {
        seals.none(rows.length);
      }
      if (manifest.count === 0 && batch.n > 0) {
        const first = batch.first ?? { id: rows[0][0], created: parseTimestamp(rows[0][1]) };
        manifest.firstId = first.id;
        manifest.firstCreated = first.created.toISOString();
      }
      manifest.count += batch.n;
      manifest.lastId = batch.last.id;
      manifest.lastCreated = batch.last.created.toISOString();
      key = batch.last;
      yield out(batch.body);
    }
    manifest.sha256 = hash.digest('hex');
    const range = seals.range();
    if (range) manifest.seals = range;
    if (this.signer) {
      const signature = await this.signer.sign(tenant, JSON.stringify(manifest));
      if (signature) manifest.signature = signature;
    }
    settle.resolve(manifest);
    if (format === 'ndjson') yield Buffer.from(`${JSON.stringify(manifest)}\n`);
  }

  private async resumeKey(tenant: string, id: string): Promise<AuditKey> {
    const key = await this.stream.keyOf(tenant, id);
    if (!key) throw scimError(400, 'invalidValue', `after: no AuditRecord ${id.slice(0, 64)}`);
    return key;
  }
}

/** PostgreSQL's text of a timestamptz as the driver reads it into a Date. */
const parseTimestamp = types.getTypeParser(types.builtins.TIMESTAMPTZ) as (text: string) => Date;

/** The two reads of a batch: lines rendered by the statement, or one JSON row per record. */
interface BatchReads {
  lines: (key?: AuditKey) => Promise<ExportLineRow[]>;
  rows: (key?: AuditKey) => Promise<StreamedRecordRow[]>;
}

/** A batch's text and the keys it spans (`first` only when already known). */
interface Batch {
  n: number;
  body: string;
  first?: AuditKey;
  last: AuditKey;
}

/** A read started ahead, whose failure is seen when it is awaited, or never if the reader left. */
function ahead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

/** A batch rendered here from each record's JSON: the reference the statement's rendering follows. */
function renderRows(rows: StreamedRecordRow[], format: ExportFormat, seals: SealRange): Batch {
  let body = '';
  for (const row of rows) {
    seals.add(row.resource);
    body += format === 'csv' ? csvRow(row.resource) : `${row.resource}\n`;
  }
  const key = (row: StreamedRecordRow) => ({ id: row.id, created: row.created });
  return { n: rows.length, body, first: key(rows[0]), last: key(rows[rows.length - 1]) };
}

/** The first and last seal ids met, and how many records had none (not sealed yet). */
class SealRange {
  private first?: string;
  private last?: string;
  private unsealed = 0;

  add(resource: string): void {
    // Parse only records that can carry a seal: the export's hot path stays text.
    const id = resource.includes('"seal')
      ? sealIdOf(JSON.parse(resource) as ExportedRecordShape)
      : undefined;
    if (id === undefined) {
      this.unsealed++;
      return;
    }
    this.first ??= id;
    this.last = id;
  }

  /** Records known to carry no seal. */
  none(count: number): void {
    this.unsealed += count;
  }

  range(): ExportManifest['seals'] {
    if (!this.first || !this.last) return undefined;
    return { first: this.first, last: this.last, unsealedRecords: this.unsealed };
  }
}
