import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DATABASE_URL } from '../database/database-url.module';
import { RequestContext } from '../context/request-context';
import { RequestContextService } from '../context/request-context.service';

/** What every job carries besides its payload: the context of the request that caused it. */
export interface JobEnvelope<T> {
  ctx: RequestContext;
  payload: T;
}

export interface QueueOptions {
  /** Seconds a job may run before it is considered lost (crashed worker) and retried. */
  expireInSeconds?: number;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Jobs one worker takes at once; each is still handled on its own. */
  batchSize?: number;
  pollingIntervalSeconds?: number;
}

export type JobHandler<T> = (payload: T, job: { id: string; retryCount: number }) => Promise<void>;

/**
 * Durable background work on PostgreSQL (pg-boss, schema `pgboss` in the service's own
 * database). Jobs are enqueued inside the caller's CLS transaction, so a job exists exactly
 * when the change that asked for it committed; workers run each job inside a CLS context
 * rebuilt from the request that enqueued it (correlation id, request id, actor, COI), so
 * whatever they record carries the same ids. Any instance may run any job.
 */
@Injectable()
export class JobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly boss: PgBoss;
  private readonly queues = new Map<string, QueueOptions>();
  private started = false;
  private declaring: Promise<void> = Promise.resolve();

  constructor(
    @Inject(DATABASE_URL) url: string,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly context: RequestContextService,
  ) {
    this.boss = new PgBoss({
      connectionString: url,
      schema: 'pgboss',
      max: Math.max(2, Math.ceil(config.dbPoolSize / 2)),
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    this.started = true;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  /** Declares a queue and starts working it with `handler` on this instance. */
  async register<T>(queue: string, options: QueueOptions, handler: JobHandler<T>): Promise<void> {
    this.queues.set(queue, options);
    await this.createQueue(queue, options);
    await this.boss.work<JobEnvelope<T>>(
      queue,
      {
        batchSize: options.batchSize ?? 1,
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
        // Without the metadata pg-boss hands over no retry count, and handlers see 0 forever.
        includeMetadata: true,
      },
      async (jobs) => {
        for (const job of jobs) {
          try {
            await this.context.run(job.data.ctx, () =>
              handler(job.data.payload, { id: job.id, retryCount: job.retryCount }),
            );
          } catch (error) {
            // Fail this job alone: thrown out of the batch, pg-boss would fail (and later
            // repeat) the batch's finished jobs and count a try against the untried ones.
            await this.boss.fail(queue, job.id, error as object);
          }
        }
      },
    );
  }

  /**
   * pg-boss's create_queue deadlocks when two run at once (Nest starts a module's providers
   * together; instances start together), so declarations here take turns, and one that
   * still loses a deadlock to another instance is tried again: it is idempotent.
   */
  private createQueue(queue: string, options: QueueOptions): Promise<void> {
    const create = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.boss.createQueue(queue, {
            name: queue,
            expireInSeconds: options.expireInSeconds ?? 300,
            retryLimit: options.retryLimit ?? 5,
            retryDelay: options.retryDelay ?? 1,
            retryBackoff: options.retryBackoff ?? true,
          });
        } catch (error) {
          if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
        }
      }
    };
    const turn = this.declaring.then(create);
    this.declaring = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Enqueues inside the current CLS transaction (or on its own when there is none); the job
   * carries the current request context.
   */
  async enqueue<T>(
    queue: string,
    payload: T,
    options: { startAfterSeconds?: number; singletonKey?: string } = {},
  ): Promise<string | null> {
    const envelope: JobEnvelope<T> = { ctx: this.context.require(), payload };
    const db = {
      executeSql: async (text: string, values: unknown[]) => ({
        rows: await this.txHost.tx.query<unknown[]>(text, values),
      }),
    };
    return this.boss.send(queue, envelope as object, {
      db,
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    });
  }
}
