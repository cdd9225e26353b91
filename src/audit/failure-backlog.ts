import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuditRecordsRepository, NewAuditRecord } from './audit-records.repository';

/** How often a non-empty backlog tries the database again. */
const RETRY_INTERVAL_MS = 1000;
/** Records written per statement when the database is back. */
const BATCH = 500;

/**
 * Failure records the database could not take when they happened (API.md §5: a refused
 * write is recorded even during an outage). They wait here, in order, and are written once
 * the database answers again, each at most once (a record whose first insert timed out may
 * still have been stored: the replay skips ids already there). The backlog is bounded by
 * AUDIT_BACKLOG_MAX: past it the oldest record is dropped, counted in
 * `audit_failure_records_dropped_total` and named in a log line. A backlog still pending
 * when the process stops is lost with it (and logged).
 *
 * It is written from a timer started outside any request, so no request's context or
 * transaction is ever joined.
 */
@Injectable()
export class FailureBacklog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(FailureBacklog.name);
  readonly registry = new Registry();
  private readonly dropped = new Counter({
    name: 'audit_failure_records_dropped_total',
    help: 'Failure records dropped because the backlog kept during a database outage was full',
    registers: [this.registry],
  });
  private readonly waiting = new Gauge({
    name: 'audit_failure_records_backlog',
    help: 'Failure records waiting for the database to return',
    registers: [this.registry],
  });
  private readonly rows: NewAuditRecord[] = [];
  private readonly max: number;
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;

  constructor(
    private readonly records: AuditRecordsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.max = config.auditBacklogMax;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), RETRY_INTERVAL_MS);
    this.timer.unref();
  }

  get size(): number {
    return this.rows.length;
  }

  add(row: NewAuditRecord): void {
    this.rows.push(row);
    while (this.rows.length > this.max) {
      const lost = this.rows.shift()!;
      this.dropped.inc();
      this.logger.error(
        {
          recordId: lost.id,
          tenant: lost.tenant_id,
          action: lost.action_name,
          requestId: lost.request_id,
        },
        'failure audit record dropped: the backlog kept during the database outage is full',
      );
    }
    this.waiting.set(this.rows.length);
  }

  /** Writes what waits, oldest first; stops at the first failure and tries again later. */
  flush(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.rows.length > 0) {
      const batch = this.rows.slice(0, BATCH);
      try {
        await this.records.insertAbsent(batch);
      } catch (error) {
        this.logger.warn(
          { err: error, waiting: this.rows.length },
          'failure audit records still waiting for the database',
        );
        return;
      }
      this.rows.splice(0, batch.length);
      this.waiting.set(this.rows.length);
      this.logger.log({ written: batch.length }, 'backlogged failure audit records written');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.rows.length > 0) {
      this.dropped.inc(this.rows.length);
      this.logger.error(
        { lost: this.rows.length },
        'failure audit records lost at shutdown: the database did not take them',
      );
    }
  }
}
