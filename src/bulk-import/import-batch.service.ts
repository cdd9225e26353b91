import { Transactional } from '@nestjs-cls/transactional';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DatabaseError } from '../database/database-error';
import { JobsService } from '../jobs/jobs.service';
import { DeviceImportProcessor } from './device-import.processor';
import { ImportItem, ImportProcessor, itemRecord, ItemOutcome } from './import-item';
import { ImportErrorRow, ImportJobRow } from './import-job-row';
import { ImportJobsRepository } from './import-jobs.repository';
import { Lookahead } from './import-lookahead';
import { IMPORT_KINDS, ImportKind } from './import-kinds';
import { OrganizationImportProcessor } from './organization-import.processor';
import { UserImportProcessor } from './user-import.processor';

export const IMPORT_QUEUE = 'bulk-import';

export interface ImportJobPayload {
  coi: string;
}

/** Items with a password to hash that one batch takes at most, so a batch stays short. */
export const COSTLY_ITEMS_PER_BATCH = 64;

/**
 * What a batch left to do: `more` batches for this worker, or nothing (`finished`, `busy`
 * elsewhere, or `handed-off` to a new job because this one has run long enough).
 */
export type BatchResult = 'more' | 'finished' | 'busy' | 'handed-off';

/**
 * One batch of an import in ONE transaction: the entities, one record per item, the item
 * errors, the advanced cursor and (when the import ends) its `end` record commit together, or
 * nothing does. A worker killed mid-batch therefore leaves no trace, and whoever retries the
 * job starts exactly where the last commit left off.
 */
@Injectable()
export class ImportBatchService {
  private readonly logger = new Logger('BulkImport');

  constructor(
    private readonly repository: ImportJobsRepository,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
    private readonly users: UserImportProcessor,
    private readonly devices: DeviceImportProcessor,
    private readonly organizations: OrganizationImportProcessor,
  ) {}

  @Transactional()
  async runBatch(
    coi: string,
    handOffAfter: number,
    ahead: Lookahead = new Lookahead(),
  ): Promise<BatchResult> {
    const job = await this.repository.lockForBatch(coi);
    if (!job) return 'busy';
    if (job.status === 'completed' || job.status === 'failed') return 'finished';
    const spec = IMPORT_KINDS[job.kind];
    const processor = this.processor(job.kind);
    const chunkNo = Math.floor(job.next_index / job.chunk_size);
    const chunk = ahead.chunk(coi, chunkNo) ?? (await this.repository.readChunk(coi, chunkNo));
    if (!chunk) throw new Error(`import ${coi} has no chunk ${chunkNo} to resume from`);
    const start = job.next_index - chunkNo * job.chunk_size;
    const end = batchEnd(chunk, start, processor);
    const items = chunk.slice(start, end).map((value, i) => ({ index: job.next_index + i, value }));
    const prepared = await ahead.prepared(coi, job.next_index, items.length);
    const next = processor.prepare && (await this.nextItems(job, chunkNo, chunk, end, ahead));

    const outcomes = await processor.process(job.tenant_id, items, job.options, {
      prepared,
      whileWriting: next && (() => ahead.prepare(coi, next, processor, job.options)),
    });
    // Outcomes the processor recorded with their items are written already.
    await this.audit.recordMany(
      outcomes.filter((o) => !o.recorded).map((o) => itemRecord(spec.itemAction, o)),
    );
    await this.repository.addErrors(coi, outcomes.flatMap(errorRow));

    const imported = outcomes.filter((o) => o.ok).length;
    const failed = outcomes.length - imported;
    const nextIndex = job.next_index + items.length;
    const done = nextIndex >= job.import_size;
    await this.repository.advance(
      coi,
      { nextIndex, imported, failed, status: done ? 'completed' : 'running' },
      end === chunk.length ? chunkNo : undefined,
    );
    this.logger.log({ coi, from: job.next_index, to: nextIndex, imported, failed }, 'import batch');
    if (done) {
      await this.audit.record(spec.importAction, {
        parameters: {
          step: 'end',
          nbImported: job.nb_imported + imported,
          nbFailed: job.nb_failed + failed,
        },
      });
      return 'finished';
    }
    if (Date.now() >= handOffAfter) {
      await this.jobs.enqueue<ImportJobPayload>(IMPORT_QUEUE, { coi });
      return 'handed-off';
    }
    return 'more';
  }

  /**
   * The items of the batch after this one (which ends at `end` of its chunk), the next
   * chunk read now when this batch ends its chunk, so that batch can be prepared while this
   * one is written; none when this batch is the import's last.
   */
  private async nextItems(
    job: ImportJobRow,
    chunkNo: number,
    chunk: unknown[],
    end: number,
    ahead: Lookahead,
  ): Promise<ImportItem[] | undefined> {
    const first = chunkNo * job.chunk_size + end;
    if (first >= job.import_size) return undefined;
    let items = chunk;
    let from = end;
    if (end === chunk.length) {
      const read = await this.repository.readChunk(job.id, chunkNo + 1);
      if (!read) return undefined;
      ahead.keepChunk(job.id, chunkNo + 1, read);
      items = read;
      from = 0;
    }
    const to = batchEnd(items, from, this.processor(job.kind));
    return items.slice(from, to).map((value, i) => ({ index: first + i, value }));
  }

  /**
   * Gives up on an import that keeps failing: status `failed` with the reason in its status
   * document, the items not reached counted as failed, and its `end` record.
   */
  @Transactional()
  async fail(coi: string, cause: unknown): Promise<void> {
    const job = await this.repository.lockForBatch(coi);
    if (!job || job.status === 'completed' || job.status === 'failed') return;
    const why = DatabaseError.from(cause).isUnavailable()
      ? 'the database was unavailable'
      : 'an internal error';
    const reason =
      `The import stopped at item ${job.next_index} after repeated attempts failed (${why}); ` +
      `the items from there on were not imported`;
    await this.repository.fail(coi, reason);
    await this.audit.recordMany([
      {
        action: IMPORT_KINDS[job.kind].importAction,
        details: {
          status: 500,
          error: 'server_error',
          message: reason,
          parameters: {
            step: 'end',
            nbImported: job.nb_imported,
            nbFailed: job.import_size - job.nb_imported,
          },
        },
      },
    ]);
  }

  private processor(kind: ImportKind): ImportProcessor {
    switch (kind) {
      case 'users':
        return this.users;
      case 'devices':
        return this.devices;
      case 'organizations':
        return this.organizations;
    }
  }
}

/** The end of the batch that starts at `start`: the chunk's end, or fewer costly items. */
export function batchEnd(chunk: unknown[], start: number, processor: ImportProcessor): number {
  if (!processor.isCostly) return chunk.length;
  let costly = 0;
  for (let i = start; i < chunk.length; i++) {
    if (processor.isCostly(chunk[i]) && ++costly > COSTLY_ITEMS_PER_BATCH) return i;
  }
  return chunk.length;
}

function errorRow(outcome: ItemOutcome): ImportErrorRow[] {
  if (outcome.ok) return [];
  return [
    {
      item_index: outcome.index,
      key_name: outcome.key?.name ?? null,
      key_value: outcome.key?.value ?? null,
      status: outcome.error.status,
      scim_type: outcome.error.scimType ?? null,
      detail: outcome.error.detail,
    },
  ];
}
