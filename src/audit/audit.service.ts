import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { ApiError, AuditUnavailableError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseError } from '../database/database-error';
import { Actor, RequestContext } from '../context/request-context';
import { RequestContextService } from '../context/request-context.service';
import {
  AUDIT_ACCESS_ACTIONS,
  AuditAction,
  AuditActionParameters,
  AuditResult,
} from './audit-actions';
import {
  NewAuditRecord,
  AuditRecordsRepository,
  PreparedAuditRecord,
  PreparedAuditRecords,
} from './audit-records.repository';
import { AuditTarget } from './audit-target';
import { FailureBacklog } from './failure-backlog';
import { GroupCommit } from './group-commit';
import { redactParameters } from '../common/redaction';
import { AttributeChange } from '../scim/scim-changes';
import { MetricsRegistry } from '../metrics/metrics-registry';

export interface AuditDetails<A extends AuditAction = AuditAction> {
  /**
   * The action's parameters, as its catalogue entry types them. `COI` may be given here
   * when the context has none (it is added from the context otherwise).
   */
  parameters?: AuditActionParameters[A] & { COI?: string };
  /** Built with `auditTarget`. */
  target?: AuditTarget;
  message?: string;
  /** Overrides the acting identity of the context (CIBA answers act as the user). */
  actor?: Actor;
  /**
   * What the change moved, from the stored state before and after it (`computeChanges`);
   * `[]` says it changed nothing. Only on success records of changes.
   */
  changes?: AttributeChange[];
  /**
   * When the change happened, as the changed row stores it (its `meta.created` or
   * `meta.lastModified`), so the record's `created` equals it to the millisecond; the
   * writing instance's clock otherwise.
   */
  at?: Date;
}

export interface FailureDetails<A extends AuditAction = AuditAction> extends AuditDetails<A> {
  status: number;
  error: string;
}

/** One outcome of a multi-item operation: a success, or a failure when it has a status. */
export interface AuditEntry {
  action: AuditAction;
  details: AuditDetails | FailureDetails;
}

/**
 * Writes audit records, through these doors: `record` (a success, in the current
 * transaction), `recordWith` (a success written by the caller's own statement beside the
 * change), `recordMany` (many outcomes, successes or failures, in one statement in the
 * current transaction), `recordManyWith` (the same, written by the caller's statement beside
 * the items) and `recordFailure` (outside the failed transaction). Context (tenant,
 * correlation id, request id, actor, COI) comes from CLS, never from callers.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly host = hostname();
  private readonly reads: GroupCommit<NewAuditRecord>;

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly context: RequestContextService,
    private readonly records: AuditRecordsRepository,
    private readonly backlog: FailureBacklog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsRegistry,
  ) {
    this.reads = new GroupCommit((rows) => this.records.insertReads(rows));
  }

  /**
   * Records a success in the current transaction, so a change and its record commit or roll
   * back together. A read of the trail (AUDIT_LOG_ACCESS) changes nothing and has no
   * transaction to join: the records of concurrent reads are committed together in one
   * statement on the search connections, and this resolves once this one is committed.
   */
  async record<A extends AuditAction>(action: A, details: AuditDetails<A> = {}): Promise<void> {
    const row = this.row(this.context.require(), action, 'RESPONSE_SUCCESS', details);
    try {
      await (AUDIT_ACCESS_ACTIONS.has(action) ? this.reads.add(row) : this.records.insert(row));
    } catch (error) {
      this.metrics.auditWriteFailures.inc({ action });
      throw new AuditUnavailableError(error);
    }
    this.metrics.auditRecordsWritten.inc({ action, result: row.result });
  }

  /**
   * Records a success written by the caller's own statement together with the change it
   * records: one statement is one transaction, so both are stored or neither, in one round
   * trip. `write` gets the record's INSERT and parameters (PreparedAuditRecord). A statement
   * failure cannot say which of its inserts failed: unless it is the change's own refusal
   * (`write` maps those to API errors) or the database being away, it is taken as the
   * trail's unavailability, as `record` reports it: 503, and nothing was stored.
   */
  async recordWith<A extends AuditAction, T>(
    action: A,
    details: AuditDetails<A>,
    write: (record: PreparedAuditRecord) => Promise<T>,
  ): Promise<T> {
    const row = this.row(this.context.require(), action, 'RESPONSE_SUCCESS', details);
    let result: T;
    try {
      result = await write(this.records.prepare(row));
    } catch (error) {
      if (!(error instanceof DatabaseError) || error.isUnavailable()) throw error;
      this.metrics.auditWriteFailures.inc({ action });
      throw new AuditUnavailableError(error);
    }
    this.metrics.auditRecordsWritten.inc({ action, result: row.result });
    return result;
  }

  /**
   * Records the outcomes of many items (an import batch) with the caller's own statement,
   * which writes them beside the items, as `recordMany` would write them alone (each entry a
   * record, a failure when its details carry a status, in the entries' order): `write` gets
   * their INSERT and parameters (PreparedAuditRecords) and must store every one of them or
   * fail. A failure of the statement is the caller's to handle: it cannot say which of its
   * inserts failed, and the caller can still write the items and records apart (the import
   * does, and then a failed record insert is the trail's unavailability, as `recordMany`
   * reports it).
   */
  recordManyWith<T>(
    entries: AuditEntry[],
    write: (records: PreparedAuditRecords) => Promise<T>,
  ): Promise<T> {
    // Not async: neither the entries nor their rows (a batch of them, with their changes)
    // are held while the statement runs, only their counts.
    const rows = this.rows(entries);
    const counts = writtenCounts(rows);
    return this.counted(write(this.records.prepareMany(rows)), counts);
  }

  private async counted<T>(written: Promise<T>, counts: WrittenCount[]): Promise<T> {
    const result = await written;
    this.countWritten(counts);
    return result;
  }

  /**
   * Records the outcomes of many items (an import batch, or a single item's failure that
   * belongs with its batch) in one statement in the current transaction: each entry is a
   * record of its own, a failure when its details carry a status.
   */
  async recordMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = this.rows(entries);
    try {
      await this.records.insertMany(rows);
    } catch (error) {
      for (const row of rows) this.metrics.auditWriteFailures.inc({ action: row.action_name });
      throw new AuditUnavailableError(error);
    }
    this.countWritten(writtenCounts(rows));
  }

  /**
   * Records a failure outside any transaction (the failed one rolled back, or is about to):
   * the transactional plugin runs it without the caller's transaction, as one statement.
   * `ctx` is for callers that run where CLS may be gone (the exception filter).
   */
  async recordFailure<A extends AuditAction>(
    action: A,
    details: FailureDetails<A>,
    ctx?: RequestContext,
    options: { databaseDown?: boolean } = {},
  ): Promise<void> {
    const row = this.row(ctx ?? this.context.require(), action, 'RESPONSE_FAILURE', details);
    // While the database is known to be away (the failure itself said so, or records already
    // wait), the answer does not wait for it either: the record joins the backlog in order.
    if (options.databaseDown || this.backlog.size > 0) {
      this.backlog.add(row);
      return;
    }
    try {
      await this.txHost.withTransaction(Propagation.NotSupported, () => this.records.insert(row));
    } catch (error) {
      this.metrics.auditWriteFailures.inc({ action });
      if (!DatabaseError.from(error).isUnavailable()) throw error;
      this.backlog.add(row);
      return;
    }
    this.metrics.auditRecordsWritten.inc({ action, result: 'RESPONSE_FAILURE' });
  }

  private rows(entries: AuditEntry[]): NewAuditRecord[] {
    const ctx = this.context.require();
    // The entries that give no parameters of their own (a batch's created items) share one
    // parameters object per action, so a writer renders its text once for them all.
    const plain = new Map<AuditAction, Record<string, string>>();
    return entries.map((e) => {
      let parameters: Record<string, string> | undefined;
      if (e.details.parameters === undefined) {
        parameters = plain.get(e.action) ?? this.parameters(ctx, e.action, e.details);
        plain.set(e.action, parameters);
      }
      return this.row(
        ctx,
        e.action,
        'status' in e.details ? 'RESPONSE_FAILURE' : 'RESPONSE_SUCCESS',
        e.details,
        parameters,
      );
    });
  }

  /** Counts written records (writtenCounts). */
  private countWritten(counts: WrittenCount[]): void {
    for (const { action, result, n } of counts) {
      this.metrics.auditRecordsWritten.inc({ action, result }, n);
    }
  }

  logFailure(error: unknown): void {
    this.logger.error({ err: error }, 'could not write a failure audit record');
  }

  /** A record's `actionParameters`: its action, the caller's parameters, the COI; redacted. */
  private parameters(
    ctx: RequestContext,
    action: AuditAction,
    details: AuditDetails | FailureDetails,
  ): Record<string, string> {
    const parameters: Record<string, string> = { Action: action };
    const given = (details.parameters ?? {}) as Record<string, string | number | undefined>;
    for (const [k, v] of Object.entries(given)) {
      if (v !== undefined) parameters[k] = String(v);
    }
    if (ctx.coi) parameters.COI = ctx.coi;
    return redactParameters(parameters);
  }

  /** The stored columns of one record, from the context and the caller's details. */
  private row(
    ctx: RequestContext,
    action: AuditAction,
    result: AuditResult,
    details: AuditDetails | FailureDetails,
    parameters: Record<string, string> = this.parameters(ctx, action, details),
  ): NewAuditRecord {
    if (!ctx.tenant) throw new ApiError(500, 'server_error', 'audit record without a tenant');
    const actor = details.actor ?? ctx.actor;
    const actingId = actor?.id ?? ctx.claimedClientId;
    // The typed column and the parameter are one value, whichever way the caller gave it: the
    // indexed column is what `coi` and `action.actionParameters.COI` searches read.
    const coi = parameters.COI;
    const failure = 'status' in details ? details : undefined;
    return {
      id: uuidv7(),
      tenant_id: ctx.tenant,
      correlation_id: ctx.correlationId ?? null,
      request_id: ctx.requestId,
      coi: coi ?? null,
      service_id: this.config.serviceId,
      service_host: this.host,
      action_name: action,
      action_parameters: parameters,
      result,
      message: details.message ?? null,
      return_value: failure ? { status: String(failure.status), error: failure.error } : null,
      acting_user_id: actingId ?? null,
      acting_user_immutable_id: actor?.immutableId ?? null,
      acting_session_id: actor?.session?.id ?? null,
      acting_auth_method: actor?.session?.authenticationMethod ?? null,
      target_user_id: details.target?.id ?? null,
      target_user_immutable_id: details.target?.immutableId ?? null,
      changes: details.changes ?? null,
      client: ctx.client ?? null,
      trace_id: ctx.trace?.traceId ?? null,
      ...(details.at ? { created: details.at.toISOString() } : {}),
    };
  }
}

interface WrittenCount {
  action: string;
  result: string;
  n: number;
}

/** How many of the rows each action and result has, by runs (a batch is mostly one run). */
function writtenCounts(rows: NewAuditRecord[]): WrittenCount[] {
  const counts: WrittenCount[] = [];
  for (const row of rows) {
    const last = counts.at(-1);
    if (last && last.action === row.action_name && last.result === row.result) last.n++;
    else counts.push({ action: row.action_name, result: row.result, n: 1 });
  }
  return counts;
}
