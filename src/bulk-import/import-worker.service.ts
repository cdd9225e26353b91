import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { JobsService } from '../jobs/jobs.service';
import { IMPORT_QUEUE, ImportBatchService, ImportJobPayload } from './import-batch.service';
import { Lookahead } from './import-lookahead';

/**
 * Retries of one job before its import is declared failed. With back-off doubling from a
 * second, ten retries ride out a database outage of a quarter of an hour or more.
 */
export const IMPORT_RETRY_LIMIT = 10;

/**
 * Works the import queue on every instance. A job runs batches until its import is done or
 * a third of its expiry has passed, then hands the rest to a new job (enqueued in the last
 * batch's transaction), so no job outlives its expiry while healthy, and a job whose worker
 * died is retried by any instance from the last committed batch.
 */
@Injectable()
export class ImportWorker implements OnModuleInit {
  private readonly logger = new Logger('BulkImport');

  constructor(
    private readonly jobs: JobsService,
    private readonly batches: ImportBatchService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.register<ImportJobPayload>(
      IMPORT_QUEUE,
      {
        expireInSeconds: this.config.jobs.importExpireSeconds,
        retryLimit: IMPORT_RETRY_LIMIT,
        retryDelay: 1,
        retryBackoff: true,
        concurrency: this.config.jobs.importConcurrency,
      },
      (payload, job) => this.run(payload.coi, job.retryCount),
    );
  }

  /** Runs inside the CLS context of the request that started the import. */
  async run(coi: string, retryCount: number): Promise<void> {
    this.context.setCoi(coi);
    const handOffAfter = Date.now() + (this.config.jobs.importExpireSeconds * 1000) / 3;
    try {
      const ahead = new Lookahead();
      while ((await this.batches.runBatch(coi, handOffAfter, ahead)) === 'more');
    } catch (error) {
      if (retryCount < IMPORT_RETRY_LIMIT) throw error;
      this.logger.error({ err: error, coi }, 'import failed on its last attempt');
      await this.batches.fail(coi, error);
    }
  }
}
