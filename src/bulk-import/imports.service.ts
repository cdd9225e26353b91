import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { JobsService } from '../jobs/jobs.service';
import { newCoi } from './coi';
import { IMPORT_QUEUE, ImportJobPayload } from './import-batch.service';
import { readImportEnvelope } from './import-envelope';
import { ImportErrorRow, ImportJobRow } from './import-job-row';
import { ImportJobsRepository } from './import-jobs.repository';
import { ImportKindSpec } from './import-kinds';

/** Accepts imports and reports on them; the work itself is ImportWorker's. */
@Injectable()
export class ImportsService {
  constructor(
    private readonly repository: ImportJobsRepository,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Checks the envelope and limits, then in one transaction stores the job with its items,
   * records the `start` step under a fresh COI and enqueues the job. Returns the COI once
   * that committed, and has this instance's idle import workers look for the job at once.
   */
  async accept(spec: ImportKindSpec, tenant: string, body: unknown): Promise<string> {
    const coi = await this.store(spec, tenant, body);
    this.jobs.wake(IMPORT_QUEUE);
    return coi;
  }

  @Transactional()
  private async store(spec: ImportKindSpec, tenant: string, body: unknown): Promise<string> {
    const { items, options } = readImportEnvelope(spec, body, {
      maxItems: this.config.limits.importMaxItems,
      stringLength: this.config.limits.stringLength,
    });
    const coi = newCoi();
    this.context.setCoi(coi);
    await this.repository.create({
      id: coi,
      tenant,
      kind: spec.kind,
      items,
      chunkSize: this.config.limits.importBatchSize,
      options,
    });
    await this.audit.record(spec.importAction, {
      parameters: { step: 'start', importSize: items.length },
    });
    await this.jobs.enqueue<ImportJobPayload>(IMPORT_QUEUE, { coi });
    return coi;
  }

  async status(
    spec: ImportKindSpec,
    tenant: string,
    coi: string,
  ): Promise<{ job: ImportJobRow; errors: ImportErrorRow[] }> {
    const job = await this.repository.find(tenant, spec.kind, coi);
    if (!job) throw scimError(404, undefined, `Import ${coi.slice(0, 64)} not found`);
    return { job, errors: job.nb_failed > 0 ? await this.repository.errors(coi) : [] };
  }
}
