import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { TenantScopes } from '../database/tenant-scope';
import { endpointOf } from './log-stream-input';
import { LogStreamMetricsService } from './log-stream-metrics.service';
import { LeasedStream } from './log-stream-row';
import { SIGNATURE_HEADER, signDelivery } from './log-stream-signature';
import { DueStream, LogStreamsRepository, StreamRecord } from './log-streams.repository';

/** Who pauses a failing stream, on its `pauseLogStream` record. */
const DELIVERER = { id: 'system:log-streams' };
/** Streams one poll looks at; the rest wait for the next poll. */
const STREAMS_PER_POLL = 50;
/** Batches one stream may send in a row before the others get their turn. */
const BATCHES_PER_TURN = 20;

/**
 * Delivers every active stream's records in order, at least once (docs/log-streams.md).
 * Each poll, an instance takes the lease of each due stream (so one instance delivers a
 * stream at a time, across instances), reads the next batch after the checkpoint up to the
 * commit horizon, posts it signed, and then, in one statement, moves the checkpoint and
 * gives the lease back. A crash between the receiver's answer and that statement makes the
 * same batch go out again after the lease runs out: the documented duplicate window.
 * Failures back off exponentially; after LOG_STREAM_PAUSE_AFTER_FAILURES in a row the
 * stream is paused and that is recorded (`pauseLogStream`, reason `failures`).
 */
@Injectable()
export class LogStreamDelivererService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(LogStreamDelivererService.name);
  /** This instance's name on the leases it holds. */
  private readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly leaseSeconds: number;
  private stopping = false;
  private loop?: Promise<void>;
  private readonly stopped = new AbortController();

  constructor(
    private readonly streams: LogStreamsRepository,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly metrics: LogStreamMetricsService,
    private readonly scopes: TenantScopes,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Longer than a whole turn can take: reads, the receiver's answer, the bookkeeping.
    this.leaseSeconds = Math.ceil((2 * config.logStreams.timeoutMs) / 1000) + 2;
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** Stops polling and waits for the batch in flight (bounded by the receiver timeout). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        // Streams of every tenant are found due together; every statement after that names
        // the stream's tenant (its key is (tenant_id, id)). The one cross-tenant door of the
        // deliverer.
        await this.context.run({ requestId: uuidv7() }, () =>
          this.scopes.acrossTenants('deliver the log streams of every tenant', () => this.poll()),
        );
      } catch (error) {
        this.logger.warn({ err: error }, 'log stream poll failed');
      }
      await delay(this.config.logStreams.pollIntervalMs, undefined, {
        signal: this.stopped.signal,
      }).catch(() => undefined);
    }
  }

  private async poll(): Promise<void> {
    const due = await this.streams.due(STREAMS_PER_POLL);
    for (const stream of due) {
      if (this.stopping) return;
      await this.turn(stream);
    }
  }

  /** Up to BATCHES_PER_TURN batches of one stream, each under a fresh lease. */
  private async turn(due: DueStream): Promise<void> {
    for (let batch = 0; batch < BATCHES_PER_TURN && !this.stopping; batch++) {
      const stream = await this.streams.lease(due, this.owner, this.leaseSeconds);
      if (!stream) return;
      const horizon = await this.streams.horizon();
      const records = await this.streams.nextRecords(stream, horizon);
      if (records.length === 0) {
        await this.streams.delivered(stream, this.owner, undefined, 0);
        return;
      }
      const error = await this.post(stream, records);
      // Cut short by a stop: the lease runs out and the batch goes out again, nothing failed.
      if (this.stopping) return;
      this.metrics.deliveries.inc({ result: error === undefined ? 'delivered' : 'failed' });
      if (error !== undefined) {
        await this.failed(stream, error);
        return;
      }
      const kept = await this.streams.delivered(stream, this.owner, records.at(-1), records.length);
      if (!kept || records.length < stream.batch_size) return;
    }
  }

  /** Posts one batch; answers why it failed, or undefined when the receiver took it. */
  private async post(stream: LeasedStream, records: StreamRecord[]): Promise<string | undefined> {
    const body = `{"streamId":${JSON.stringify(stream.id)},"records":[${records
      .map((r) => r.resource)
      .join(',')}]}`;
    const signature = signDelivery(stream.secret, body, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(stream.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'correlated-management-api log stream',
          [SIGNATURE_HEADER]: signature,
          'x-log-stream-id': stream.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.config.logStreams.timeoutMs),
          this.stopped.signal,
        ]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return undefined;
      return `The receiver answered HTTP ${response.status}`;
    } catch (error) {
      return (error as { name?: string }).name === 'TimeoutError'
        ? `The receiver did not answer within ${this.config.logStreams.timeoutMs} ms`
        : 'The receiver could not be reached';
    }
  }

  /** Backs off, and pauses the stream (recorded) after too many failures in a row. */
  private async failed(stream: LeasedStream, error: string): Promise<void> {
    const { retryBaseMs, retryMaxMs, pauseAfterFailures } = this.config.logStreams;
    const retryMs = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(stream.failures, 30));
    this.logger.warn(
      { streamId: stream.id, tenant: stream.tenant_id, endpoint: endpointOf(stream.url), error },
      'log stream delivery failed',
    );
    await this.context.run(
      { requestId: uuidv7(), tenant: stream.tenant_id, actor: DELIVERER },
      () =>
        this.txHost.withTransaction(async () => {
          const after = await this.streams.failed(
            stream,
            this.owner,
            error,
            retryMs,
            pauseAfterFailures,
          );
          if (after?.status !== 'paused') return;
          await this.audit.record('pauseLogStream', {
            parameters: {
              streamId: stream.id,
              endpoint: endpointOf(stream.url),
              reason: 'failures',
              failures: after.failures,
            },
            message: error,
          });
        }),
    );
  }
}
