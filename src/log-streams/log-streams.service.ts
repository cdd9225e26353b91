import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { scimError } from '../common/api-error';
import { AuditService } from '../audit/audit.service';
import {
  DEFAULT_BATCH_SIZE,
  endpointOf,
  LogStreamInput,
  readLogStreamInput,
} from './log-stream-input';
import { LogStreamRow, StreamLag } from './log-stream-row';
import { newStreamSecret } from './log-stream-signature';
import { LogStreamsRepository } from './log-streams.repository';

/** Streams a tenant may have: each costs a poll and a read of the trail per interval. */
export const MAX_STREAMS_PER_TENANT = 20;

export interface StreamView {
  row: LogStreamRow;
  lag: StreamLag;
  /** Only when the stream was just created. */
  secret?: string;
}

/**
 * Log streams' lifecycle (docs/log-streams.md). Every change is recorded in the transaction
 * that makes it: `createLogStream`, `updateLogStream` (name, url, filter, batch size),
 * `pauseLogStream` / `resumeLogStream` (status), `deleteLogStream`. The secret is never
 * recorded or logged.
 */
@Injectable()
export class LogStreamsService {
  constructor(
    private readonly streams: LogStreamsRepository,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async create(tenant: string, body: unknown): Promise<StreamView> {
    const input = readLogStreamInput(body, true);
    if ((await this.streams.count(tenant)) >= MAX_STREAMS_PER_TENANT) {
      throw scimError(
        409,
        'tooMany',
        `a tenant may have at most ${MAX_STREAMS_PER_TENANT} log streams`,
      );
    }
    const url = input.url!;
    const secret = newStreamSecret();
    const row = await this.streams.insert({
      id: uuidv7(),
      tenant,
      name: input.name ?? new URL(url).host,
      url,
      filter: input.filter ?? null,
      batchSize: input.batchSize ?? DEFAULT_BATCH_SIZE,
      secret,
    });
    await this.audit.record('createLogStream', {
      parameters: { streamId: row.id, endpoint: endpointOf(url), filter: row.filter ?? undefined },
    });
    return { row, lag: await this.streams.lag(row), secret };
  }

  async list(tenant: string): Promise<StreamView[]> {
    const rows = await this.streams.list(tenant);
    return Promise.all(rows.map(async (row) => ({ row, lag: await this.streams.lag(row) })));
  }

  async read(tenant: string, id: string): Promise<StreamView> {
    const row = await this.found(tenant, id);
    return { row, lag: await this.streams.lag(row) };
  }

  /**
   * Applies the given members; `status` pauses or resumes (a resumed stream retries at
   * once, its failure count cleared). Nothing changed records nothing.
   */
  @Transactional()
  async update(tenant: string, id: string, body: unknown): Promise<StreamView> {
    const input = readLogStreamInput(body, false);
    const before = await this.found(tenant, id, true);
    const changed = changedMembers(before, input);
    const status = input.status ?? before.status;
    const row = await this.streams.update(tenant, id, {
      name: input.name ?? before.name,
      url: input.url ?? before.url,
      filter: input.filter !== undefined ? input.filter : before.filter,
      batchSize: input.batchSize ?? before.batch_size,
      status,
    });
    const base = { streamId: id, endpoint: endpointOf(row.url) };
    if (changed.length > 0) {
      await this.audit.record('updateLogStream', {
        parameters: { ...base, changed: changed.join(' '), filter: row.filter ?? undefined },
      });
    }
    if (status !== before.status) {
      await this.audit.record(status === 'paused' ? 'pauseLogStream' : 'resumeLogStream', {
        parameters: { ...base, reason: 'requested' },
      });
    }
    return { row, lag: await this.streams.lag(row) };
  }

  @Transactional()
  async delete(tenant: string, id: string): Promise<void> {
    const row = await this.found(tenant, id, true);
    await this.streams.delete(tenant, id);
    await this.audit.record('deleteLogStream', {
      parameters: { streamId: id, endpoint: endpointOf(row.url) },
    });
  }

  private async found(tenant: string, id: string, lock = false): Promise<LogStreamRow> {
    const row = await this.streams.find(tenant, id, lock);
    if (!row) throw scimError(404, undefined, `LogStream ${id.slice(0, 64)} not found`);
    return row;
  }
}

function changedMembers(before: LogStreamRow, input: LogStreamInput): string[] {
  const changed: string[] = [];
  if (input.name !== undefined && input.name !== before.name) changed.push('name');
  if (input.url !== undefined && input.url !== before.url) changed.push('url');
  if (input.filter !== undefined && input.filter !== before.filter) changed.push('filter');
  if (input.batchSize !== undefined && input.batchSize !== before.batch_size) {
    changed.push('batchSize');
  }
  return changed;
}
