import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { AuditKeysService } from './audit-keys.service';
import { AuditSealRow, sealHash, signSeal } from './audit-seal';
import { AuditSealsRepository } from './audit-seals.repository';
import { TRAIL_START } from './audit-verifier';
import { leafHash, MerkleRootBuilder } from './merkle';

/** Most records one seal covers: a record's inclusion proof reads its seal's hashes. */
export const SEAL_MAX_RECORDS = 10_000;

/**
 * Seals each tenant's trail every AUDIT_SEAL_INTERVAL_SECONDS, off the write path: writers
 * never wait for it, and it waits for no writer (it seals only records whose transactions
 * have ended, below the snapshot's xmin, in commit order). Every instance runs it; a
 * transaction-scoped advisory lock per tenant lets one seal at a time and the others pass.
 * Nothing is lost when an instance stops between ticks, so there is nothing to hand to the
 * durable job runner: the next tick, here or on another instance, seals what is pending.
 */
@Injectable()
export class AuditSealerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealerService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly seals: AuditSealsRepository,
    private readonly keys: AuditKeysService,
    private readonly context: RequestContextService,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.sealAll()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'audit sealing failed'))
        .finally(() => this.schedule());
    }, this.config.auditIntegrity.sealIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** One round: every tenant's pending records sealed (or left to the instance sealing it). */
  async sealAll(): Promise<number> {
    let sealed = 0;
    const tenants = await this.context.run({ requestId: uuidv7() }, () => this.seals.tenants());
    for (const tenant of tenants) {
      if (this.stopping) break;
      sealed += await this.sealTenant(tenant);
    }
    return sealed;
  }

  /** Seals the tenant's pending records, SEAL_MAX_RECORDS per seal; answers how many seals. */
  async sealTenant(tenant: string): Promise<number> {
    let made = 0;
    while (!this.stopping) {
      const outcome = await this.context.run({ requestId: uuidv7(), tenant }, () =>
        this.txHost.withTransaction(() => this.sealOnce(tenant)),
      );
      if (outcome !== 'none') made++;
      if (outcome !== 'full') break;
    }
    return made;
  }

  /** One seal: `full` when more may be pending, `none` when nothing was sealed. */
  private async sealOnce(tenant: string): Promise<'none' | 'partial' | 'full'> {
    if (!(await this.seals.tryLock(tenant))) return 'none';
    const last = await this.seals.last(tenant);
    const after = last ? { xactId: last.last_xact_id, id: last.last_record_id } : TRAIL_START;
    const pending = await this.seals.pending(tenant, after, SEAL_MAX_RECORDS);
    if (pending.length === 0) return 'none';
    // A seal never spans two months: retention drops whole monthly partitions, and a seal
    // whose records are all in a dropped month can be skipped by the verifier as a whole
    // (docs/retention.md). The next seal starts at the first record of another month.
    const cut = pending.findIndex((r) => r.month !== pending[0].month);
    const records = cut < 0 ? pending : pending.slice(0, cut);
    const root = new MerkleRootBuilder();
    for (const r of records) root.add(leafHash(r.hash));
    const [first, end] = [records[0], records[records.length - 1]];
    const key = this.keys.currentSealingKey();
    const unsigned: Omit<AuditSealRow, 'signature'> = {
      id: uuidv7(),
      tenant_id: tenant,
      seq: String(last ? BigInt(last.seq) + 1n : 1n),
      first_xact_id: first.xact_id,
      first_record_id: first.id,
      last_xact_id: end.xact_id,
      last_record_id: end.id,
      record_count: records.length,
      previous_hash: last ? sealHash(last) : null,
      root: root.root(),
      sealed: new Date().toISOString(),
      key_id: key.kid,
    };
    await this.seals.insert({ ...unsigned, signature: await signSeal(unsigned, key.privateKey) });
    return records.length === SEAL_MAX_RECORDS || cut >= 0 ? 'full' : 'partial';
  }
}
