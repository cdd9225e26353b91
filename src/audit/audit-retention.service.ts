import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { Database } from '../database/database';
import { MIGRATION_DATABASE_URL } from '../database/database-url.module';
import { ACROSS_TENANTS_SETTING } from '../database/tenant-scope';
import { DatabaseError } from '../database/database-error';
import { SqlState } from '../database/sqlstate';
import * as sql from './audit-retention.queries';
import { AuditService } from './audit.service';

/** Months of partitions kept made ahead of the current one. */
export const PARTITION_MONTHS_AHEAD = 3;
/** How often each instance makes partitions ahead and looks for months past retention. */
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
/** Arbitrary constant: one instance at a time purges. */
const PURGE_LOCK = 7_431_003;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Tries of one partition's drop when it keeps losing deadlocks, and the pause before each retry. */
const DEADLOCK_ATTEMPTS = 3;
const DEADLOCK_RETRY_MS = 200;

interface Partition {
  name: string;
  starts: string;
  ends: string;
}

/** What one tenant's purge record says of a partition. */
interface TenantPurge {
  tenant: string;
  records: number;
  seals: string;
  lastSealSeq: string;
  lastSealId: string;
}

/**
 * The trail's upkeep (docs/retention.md): partitions made ahead of time, and whole months
 * dropped once every tenant with records in them is past its retention, every such record
 * is sealed and delivered to the tenant's log streams. Each drop is recorded first in each
 * of those tenants' trails (`purgeAuditRecords`), so `.verify` reports it. Drops run as the
 * schema owner (MIGRATION_DATABASE_URL): the service role can neither drop nor delete.
 *
 * Every instance runs it at start and hourly; the owner's advisory lock lets one purge at a
 * time, and making partitions is idempotent, so there is nothing to hand the job runner.
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditRetentionService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    @Inject(MIGRATION_DATABASE_URL) private readonly ownerUrl: string,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.maintain()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'audit upkeep failed'))
        .finally(() => this.schedule(MAINTENANCE_INTERVAL_MS));
    }, delayMs);
    this.timer.unref();
  }

  /** One round: partitions ahead, then the drops due; answers the dropped partitions. */
  async maintain(now = new Date()): Promise<string[]> {
    await this.addPartitions();
    return this.purge(now);
  }

  /** Runs as the owner through SECURITY DEFINER, so the service role may call it. */
  async addPartitions(): Promise<number> {
    const [{ made }] = await this.context.run({ requestId: uuidv7() }, () =>
      this.db.query<{ made: number }>('SELECT audit_records_add_partitions($1) AS made', [
        PARTITION_MONTHS_AHEAD,
      ]),
    );
    return made;
  }

  /** Drops the partitions past retention, oldest first; answers their names. */
  async purge(now = new Date()): Promise<string[]> {
    // Keeping forever (the default) needs no owner connection at every start.
    if (!this.config.auditIntegrity.retentionDays && !(await this.anyTenantRetention())) return [];
    const owner = new Client({ connectionString: this.ownerUrl });
    await owner.connect();
    const dropped: string[] = [];
    try {
      const [{ locked }] = (
        await owner.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
          PURGE_LOCK,
        ])
      ).rows;
      if (!locked) return dropped;
      // Forced row-level security binds the owner too: it reads every tenant's rows here.
      await owner.query(`SELECT set_config('${ACROSS_TENANTS_SETTING}', 'retention', false)`);
      const retention = new Map(
        (await owner.query<{ id: string; days: number | null }>(sql.TENANT_RETENTION)).rows.map(
          (t) => [t.id, t.days ?? this.config.auditIntegrity.retentionDays],
        ),
      );
      // Not only the oldest: a month a long-kept tenant holds does not hold back later
      // months it has no records in (the verifier accepts any set of dropped seals).
      for (const part of (await owner.query<Partition>(sql.PARTITIONS)).rows) {
        if (this.stopping) break;
        if (await this.dropIfDueRetried(owner, part, retention, now)) dropped.push(part.name);
      }
    } finally {
      await owner.end().catch(() => undefined);
    }
    return dropped;
  }

  /**
   * dropIfDue, tried again when the database chose it as a deadlock's victim: it holds its
   * GRANT on the month while it waits for the SHARE lock, so another transaction on the same
   * month can close a cycle (the e2e test builds one); a victim's work is rolled back whole,
   * so trying again is safe.
   */
  private async dropIfDueRetried(
    owner: Client,
    part: Partition,
    retention: Map<string, number | undefined>,
    now: Date,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dropIfDue(owner, part, retention, now);
      } catch (error) {
        const deadlock = DatabaseError.from(error).code === SqlState.DEADLOCK_DETECTED;
        if (!deadlock || attempt >= DEADLOCK_ATTEMPTS) throw error;
        this.logger.warn({ partition: part.name, attempt }, 'audit partition drop deadlocked');
        await new Promise((resolve) => setTimeout(resolve, DEADLOCK_RETRY_MS * attempt));
      }
    }
  }

  /**
   * One partition: checked under a SHARE lock (no record can arrive in it meanwhile), its
   * purge recorded in each tenant's trail, then dropped. A drop that fails after the records
   * is retried on a later round, which finds them and does not record it twice.
   */
  private async dropIfDue(
    owner: Client,
    part: Partition,
    retention: Map<string, number | undefined>,
    now: Date,
  ): Promise<boolean> {
    if (Date.parse(part.ends) > now.getTime()) return false;
    const name = `"${part.name.replace(/"/g, '""')}"`;
    const on = (text: string) => text.replace(/@part/g, name);
    await owner.query('BEGIN');
    try {
      await owner.query(`SET LOCAL lock_timeout = '5s'`);
      // LOCK in SHARE mode needs UPDATE, which even the owner is refused on the trail: held
      // for this transaction only (rolled back with it, or dropped with the table).
      await owner.query(`GRANT UPDATE ON ${name} TO CURRENT_USER`);
      await owner.query(`LOCK TABLE ${name} IN SHARE MODE`);
      const purges: TenantPurge[] = [];
      const tenants = (
        await owner.query<{ tenant_id: string; records: number }>(on(sql.TENANTS_IN))
      ).rows;
      // A month nobody wrote in goes with the global period only (a tenant's own period
      // says nothing of months it has no records in).
      const floor = this.config.auditIntegrity.retentionDays;
      if (
        tenants.length === 0 &&
        (!floor || Date.parse(part.ends) + floor * DAY_MS > now.getTime())
      ) {
        return await this.keep(owner, part, 'empty, and no global retention due');
      }
      for (const { tenant_id: tenant, records } of tenants) {
        const days = retention.get(tenant) ?? this.config.auditIntegrity.retentionDays;
        if (!days || Date.parse(part.ends) + days * DAY_MS > now.getTime()) {
          return await this.keep(owner, part, `${tenant} keeps it`);
        }
        const [{ n }] = (await owner.query<{ n: number }>(on(sql.UNSEALED_IN), [tenant])).rows;
        if (n > 0) return await this.keep(owner, part, `${n} records of ${tenant} are unsealed`);
        const seals = (
          await owner.query<{ seq: string; id: string; count: number; inside: number }>(
            on(sql.SEALS_IN),
            [tenant],
          )
        ).rows;
        if (seals.some((s) => s.inside !== s.count) || sum(seals) !== records) {
          return await this.keep(owner, part, `a seal of ${tenant} spans it`);
        }
        const [{ pending }] = (
          await owner.query<{ pending: boolean }>(on(sql.UNDELIVERED_IN), [tenant])
        ).rows;
        if (pending) return await this.keep(owner, part, `a log stream of ${tenant} lags`);
        const last = seals[seals.length - 1];
        purges.push({
          tenant,
          records,
          seals: ranges(seals.map((s) => BigInt(s.seq))),
          lastSealSeq: last.seq,
          lastSealId: last.id,
        });
      }
      for (const purge of purges) await this.recordPurge(part, purge);
      await owner.query(`DROP TABLE ${name}`);
      await owner.query('COMMIT');
      this.logger.log({ partition: part.name, tenants: purges.length }, 'audit partition dropped');
      return true;
    } catch (error) {
      await owner.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async anyTenantRetention(): Promise<boolean> {
    const [{ any }] = await this.context.run({ requestId: uuidv7() }, () =>
      this.db.query<{ any: boolean }>(sql.ANY_TENANT_RETENTION),
    );
    return any;
  }

  private async keep(owner: Client, part: Partition, why: string): Promise<false> {
    await owner.query('ROLLBACK');
    this.logger.log({ partition: part.name, why }, 'audit partition kept');
    return false;
  }

  /** In the tenant's trail, on the service's connection, committed before the drop. */
  private async recordPurge(part: Partition, p: TenantPurge): Promise<void> {
    await this.context.run({ requestId: uuidv7(), tenant: p.tenant }, () =>
      this.txHost.withTransaction(async () => {
        const [{ recorded }] = await this.db.query<{ recorded: boolean }>(sql.PURGE_RECORDED, [
          p.tenant,
          part.name,
        ]);
        if (recorded) return;
        await this.audit.record('purgeAuditRecords', {
          parameters: {
            partition: part.name,
            from: part.starts,
            to: part.ends,
            records: p.records,
            seals: p.seals,
            lastSealSeq: p.lastSealSeq,
            lastSealId: p.lastSealId,
          },
        });
      }),
    );
  }
}

function sum(seals: { count: number }[]): number {
  return seals.reduce((n, s) => n + s.count, 0);
}

/** Ascending seqs as ranges: `1-40,43-43`. */
export function ranges(seqs: bigint[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length;) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1n) j++;
    out.push(`${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
