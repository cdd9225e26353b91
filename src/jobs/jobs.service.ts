import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DATABASE_URL } from '../database/database-url.module';
import { RequestContext } from '../context/request-context';
import { RequestContextService } from '../context/request-context.service';
import { Database } from '../database/database';
import { DatabaseError } from '../database/database-error';
import { JOBS_SCHEMA } from '../database/service-role';

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
  /** Workers on this instance, each running one job at a time (default 1). */
  concurrency?: number;
  pollingIntervalSeconds?: number;
}

export interface EnqueueOptions {
  startAfterSeconds?: number;
  singletonKey?: string;
  /** The job's id (a uuid), for a job other work must find later. */
  id?: string;
  /** Run under the context this earlier job carries, not the current one. */
  continues?: { queue: string; id: string };
}

export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  oldestSeconds: number;
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
export class JobsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly boss: PgBoss;
  private readonly queues = new Map<string, QueueOptions>();
  private started = false;
  private stopping = false;
  private declaring: Promise<void> = Promise.resolve();
  private readonly workers: Promise<void>[] = [];
  /** Per queue, how to end the pause of each of this instance's idle workers (wake). */
  private readonly sleepers = new Map<string, Set<() => void>>();
  /** Half of the stop's budget: HTTP and the database still need the rest. */
  private readonly stopBudgetMs: number;

  constructor(
    @Inject(DATABASE_URL) url: string,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Database,
    private readonly context: RequestContextService,
  ) {
    this.boss = new PgBoss({
      connectionString: url,
      schema: JOBS_SCHEMA,
      // The schema is the owner's, created or upgraded at start-up (prepareSchema).
      migrate: false,
      max: Math.max(2, Math.ceil(config.dbPoolSize / 2)),
      // Expired jobs (their worker died) are only retried when maintenance runs; pg-boss's
      // default of two minutes would leave a crashed import idle that long.
      maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds,
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
    this.stopBudgetMs = Math.floor(config.shutdownTimeoutMs / 2);
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    this.started = true;
  }

  /**
   * The job runner stops first, before the HTTP server and the database: workers finish the
   * job in hand (within half of SHUTDOWN_TIMEOUT_MS; an unfinished job expires and is
   * retried elsewhere, handlers being idempotent), then pg-boss closes its connections while
   * the database still answers, so a normal stop logs no queue error.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // Idle workers stop now instead of after their pause.
    for (const queue of this.sleepers.keys()) this.wake(queue);
    if (!this.started) return;
    this.started = false;
    const budget = this.stopBudgetMs;
    const started = Date.now();
    await Promise.race([Promise.all(this.workers), delay(budget, undefined, { ref: false })]);
    const left = Math.max(500, budget - (Date.now() - started));
    await this.boss.stop({ graceful: true, wait: true, timeout: left });
  }

  /** Declares a queue and starts working it with `handler` on this instance. */
  async register<T>(queue: string, options: QueueOptions, handler: JobHandler<T>): Promise<void> {
    this.queues.set(queue, options);
    await this.declareQueue(queue, options);
    for (let i = 0; i < (options.concurrency ?? 1); i++) {
      this.workers.push(this.work(queue, options, handler));
    }
  }

  /**
   * pg-boss's create_queue deadlocks when two run at once (Nest starts a module's providers
   * together; instances start together), so declarations here take turns, and one that
   * still loses a deadlock to another instance is tried again: it is idempotent. It also
   * leaves an existing queue as it was, so the update applies today's settings.
   */
  private declareQueue(queue: string, options: QueueOptions): Promise<void> {
    const settings = {
      name: queue,
      expireInSeconds: options.expireInSeconds ?? 300,
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelay ?? 1,
      retryBackoff: options.retryBackoff ?? true,
    };
    const declare = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.boss.createQueue(queue, settings);
          return await this.boss.updateQueue(queue, settings);
        } catch (error) {
          if (!DatabaseError.from(error).isDeadlock() || attempt >= 5) throw error;
        }
      }
    };
    const turn = this.declaring.then(declare);
    this.declaring = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Polls `queue` and runs its jobs one at a time (a batch's jobs each complete or fail on
   * their own), each inside the context of the request that enqueued it. pg-boss's own work() does not await the complete/fail it issues after a
   * handler, so a database outage at that moment became an unhandled rejection and killed
   * the process; here every call is awaited and its failure logged. A job that could not be
   * marked stays active, expires and is retried: handlers must be idempotent.
   */
  private async work<T>(queue: string, options: QueueOptions, handler: JobHandler<T>) {
    const pause = (options.pollingIntervalSeconds ?? 0.5) * 1000;
    while (!this.stopping) {
      // fetch() answers [] when the database cannot be reached.
      const jobs = await this.boss.fetch<JobEnvelope<T>>(queue, {
        batchSize: options.batchSize ?? 1,
        includeMetadata: true,
      });
      for (const job of jobs) {
        try {
          await this.context.run(carried(job.data.ctx), () =>
            handler(job.data.payload, { id: job.id, retryCount: job.retryCount }),
          );
        } catch (error) {
          this.logger.warn({ err: error, queue, job: job.id }, 'job failed');
          await this.boss
            .fail(queue, job.id, { message: error instanceof Error ? error.message : 'failed' })
            .catch((e: unknown) => this.logger.error({ err: e, queue }, 'could not fail job'));
          continue;
        }
        await this.boss
          .complete(queue, job.id)
          .catch((e: unknown) => this.logger.error({ err: e, queue }, 'could not complete job'));
      }
      if (jobs.length === 0 && !this.stopping) await this.pause(queue, pause);
    }
  }

  /**
   * Ends the pause of this instance's idle workers of `queue`, so they fetch now rather than
   * at their next poll: for a caller whose job has just committed (an import waits for no
   * poll before its first batch). Jobs enqueued elsewhere are found by polling, as before.
   */
  wake(queue: string): void {
    for (const end of this.sleepers.get(queue) ?? []) end();
  }

  /** The pause between polls of an idle worker, `ms` or until wake(queue). */
  private pause(queue: string, ms: number): Promise<void> {
    let sleepers = this.sleepers.get(queue);
    if (!sleepers) this.sleepers.set(queue, (sleepers = new Set()));
    const all = sleepers;
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        all.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      all.add(end);
    });
  }

  /**
   * Enqueues inside the current CLS transaction (or on its own when there is none). The job
   * carries the current request context, or, with `continues`, the context an earlier job of
   * the same flow carries: a job's envelope is the only copy of the context that caused it.
   */
  async enqueue<T>(
    queue: string,
    payload: T,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    const ctx = options.continues
      ? await this.contextOf(options.continues)
      : this.context.require();
    const envelope: JobEnvelope<T> = { ctx, payload };
    const db = {
      executeSql: async (text: string, values: unknown[]) => ({
        rows: await this.db.query<unknown[]>(text, values),
      }),
    };
    // This instance's settings travel with the job: the queue row holds whichever instance
    // registered last.
    const settings = this.queues.get(queue);
    return this.boss.send(queue, envelope as object, {
      db,
      ...(settings?.expireInSeconds ? { expireInSeconds: settings.expireInSeconds } : {}),
      ...(settings?.retryLimit !== undefined ? { retryLimit: settings.retryLimit } : {}),
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      ...(options.id ? { id: options.id } : {}),
    });
  }

  /**
   * Each queue's backlog: jobs waiting (created or retrying, due or not), running, and the
   * age of the oldest job that is due but not yet taken. Read from pg-boss's table, whose
   * index on (name, start_after) covers the waiting jobs.
   */
  async queueStats(): Promise<QueueStats[]> {
    return this.db.query<QueueStats>(
      `SELECT name AS queue,
         count(*) FILTER (WHERE state < 'active')::int AS waiting,
         count(*) FILTER (WHERE state = 'active')::int AS active,
         COALESCE(EXTRACT(EPOCH FROM now() - min(created_on)
           FILTER (WHERE state < 'active' AND start_after <= now())), 0)::float8 AS "oldestSeconds"
       FROM pgboss.job WHERE state <= 'active' GROUP BY name`,
    );
  }

  /** The request context an enqueued job carries (archived jobs included). */
  private async contextOf(job: { queue: string; id: string }): Promise<RequestContext> {
    const found = await this.boss.getJobById<JobEnvelope<unknown>>(job.queue, job.id, {
      includeArchive: true,
    });
    if (!found) throw new Error(`job ${job.id} of ${job.queue} is gone; its context with it`);
    return found.data.ctx;
  }
}

/** The context a job runs in: its request's, with the request's client marked as carried. */
function carried(ctx: RequestContext): RequestContext {
  return ctx.client ? { ...ctx, client: { ...ctx.client, fromRequest: true } } : ctx;
}
