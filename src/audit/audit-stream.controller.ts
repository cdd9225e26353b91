import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { RequireScopes } from '../common/access.decorators';
import { scimError } from '../common/api-error';
import { AuditedAs } from './audit-action.decorator';
import { EXPORT_MANIFEST_TRAILER, ExportFormat } from './audit-export';
import { AuditExportService } from './audit-export.service';
import { AuditTailService } from './audit-tail.service';

const FILTER_QUERY = {
  name: 'filter',
  required: false,
  type: String,
  description: 'SCIM filter, as in the search (empty: every record of the tenant)',
};

/**
 * Long reads of the trail: the streamed export and the live tail (docs/audit-export.md).
 * Both answer with a stream that Fastify pipes to the socket, so a slow reader slows the
 * reads instead of filling memory.
 */
@ApiTags('Audit')
@Controller(':tenant/v2/AuditRecords')
export class AuditStreamController {
  constructor(
    private readonly exports: AuditExportService,
    private readonly tails: AuditTailService,
  ) {}

  @Get('.export')
  @RequireScopes('audit:read')
  @AuditedAs('exportAuditRecords')
  @ApiOperation({
    summary: 'Export audit records as NDJSON or CSV, streamed, with a manifest',
    description:
      'Records in (created, id) order exactly as search returns them, up to the time the export started. NDJSON ends with a manifest line (count, first and last id, SHA-256 of the body before it, seal range and signature when available); CSV carries the same manifest in the `X-Export-Manifest` trailer. Recorded as one `exportAuditRecords` record. `after` resumes after a record id.',
    operationId: 'exportAuditRecords',
  })
  @ApiQuery(FILTER_QUERY)
  @ApiQuery({ name: 'format', required: false, enum: ['ndjson', 'csv'] })
  @ApiQuery({
    name: 'after',
    required: false,
    type: String,
    description: 'resume after this record id',
  })
  @ApiOkResponse({
    description: 'The records, then the manifest',
    content: {
      'application/x-ndjson': { schema: { type: 'string' } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async exportAuditRecords(
    @Param('tenant') tenant: string,
    @Query('filter') filter: unknown,
    @Query('format') format: unknown,
    @Query('after') after: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const chosen = readFormat(format);
    const opened = await this.exports.open(tenant, {
      filter: readText('filter', filter),
      format: chosen,
      after: readText('after', after),
      // Added before the stream's end, which ends the chunked response.
      onManifest:
        chosen === 'csv'
          ? (manifest) => reply.raw.addTrailers({ [EXPORT_MANIFEST_TRAILER]: asciiJson(manifest) })
          : undefined,
    });
    const name = `audit-${tenant}-${Date.now()}.${chosen}`;
    void reply
      .header('content-type', chosen === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store');
    if (chosen === 'csv') void reply.header('trailer', EXPORT_MANIFEST_TRAILER);
    return opened.body;
  }

  @Get('.tail')
  @RequireScopes('audit:read')
  @AuditedAs('tailAuditRecords')
  @ApiOperation({
    summary: 'Follow new audit records as Server-Sent Events',
    description:
      'Each matching record arrives within about a second as an `auditRecord` event whose `id` is the record id and whose data is the record as search returns it. Send `Last-Event-ID` (or `lastEventId`) to resume after a record.',
    operationId: 'tailAuditRecords',
  })
  @ApiQuery(FILTER_QUERY)
  @ApiQuery({ name: 'lastEventId', required: false, type: String })
  @ApiOkResponse({
    description: 'An event stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  async tailAuditRecords(
    @Param('tenant') tenant: string,
    @Query('filter') filter: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const lastEventId = lastEventIdHeader || readText('lastEventId', lastEventIdQuery);
    const tail = await this.tails.open(tenant, readText('filter', filter), lastEventId);
    reply.raw.once('close', tail.close);
    void reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no');
    return tail.body;
  }
}

function readFormat(value: unknown): ExportFormat {
  if (value === undefined || value === '' || value === 'ndjson') return 'ndjson';
  if (value === 'csv') return 'csv';
  throw scimError(400, 'invalidValue', 'format must be ndjson or csv');
}

function readText(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw scimError(400, 'invalidValue', `${name} must be given once`);
  return value;
}

/** JSON with every non-ASCII character escaped, as a header value must be. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
