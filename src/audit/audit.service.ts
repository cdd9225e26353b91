import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ApiError, AuditUnavailableError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Actor, RequestContext } from '../context/request-context';
import { RequestContextService } from '../context/request-context.service';
import { AuditAction, AuditResult } from './audit-actions';
import { AUDIT_RECORD_COLUMNS, AuditRecordRow } from './audit-record';
import { redactParameters } from './redaction';
import { runSql } from '../database/run-sql';
import { SearchDatabase } from '../search/search-database';
import { GroupCommit } from './group-commit';

export interface AuditDetails {
  /** Extra HID-style parameters (flat strings). `Action` and `COI` are added here. */
  parameters?: Record<string, string | number | undefined>;
  target?: { id?: string; immutableId?: string };
  message?: string;
  /** Overrides the acting identity of the context (CIBA answers act as the user). */
  actor?: Actor;
}

export interface FailureDetails extends AuditDetails {
  status: number;
  error: string;
}

/** One outcome of a multi-item operation: a success, or a failure when it has a status. */
export interface AuditEntry {
  action: AuditAction;
  details: AuditDetails | FailureDetails;
}

/** The columns a writer supplies, in the order of INSERT's parameters. */
const COLUMNS = AUDIT_RECORD_COLUMNS.filter((c) => c !== 'created' && c !== 'hash').join(', ');

const INSERT = `
  INSERT INTO audit_records (${COLUMNS}, created, hash)
  VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18, now(), '')`;

/** Many records in one statement; `created` and `hash` come from the insert trigger. */
const INSERT_MANY = `
  INSERT INTO audit_records (${COLUMNS}, created, hash)
  SELECT ${COLUMNS}, now(), '' FROM jsonb_to_recordset($1::jsonb) AS x(
    id uuid, tenant_id text, correlation_id text, request_id uuid, coi text, service_id text,
    service_host text, action_name text, action_parameters jsonb, result text, message text,
    return_value jsonb, acting_user_id text, acting_user_immutable_id text,
    acting_session_id text, acting_auth_method text, target_user_id text,
    target_user_immutable_id text)`;

/** The stored columns of one record (`created` and `hash` come from the insert trigger). */
type AuditRow = Omit<AuditRecordRow, 'created' | 'hash'>;

/**
 * Writes audit records. Context (tenant, correlation id, request id, actor, COI) comes from
 * CLS, never from callers; success records go through the CLS transaction so a change and
 * its record commit or roll back together.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly host = hostname();
  private readonly reads: GroupCommit<AuditRow>;

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly context: RequestContextService,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    searchDb: SearchDatabase,
  ) {
    // Prepared: one plan per connection instead of one per batch, whatever the batch size.
    this.reads = new GroupCommit(async (rows) => {
      await searchDb.query(INSERT_MANY, [JSON.stringify(rows)], { prepare: true });
    });
  }

  /** Records a successful state change inside the current transaction. */
  async record(action: AuditAction, details: AuditDetails = {}): Promise<void> {
    const ctx = this.context.require();
    try {
      await this.insert(this.txHost.tx, ctx, action, 'RESPONSE_SUCCESS', details);
    } catch (error) {
      throw new AuditUnavailableError(error);
    }
  }

  /**
   * Records a read of the trail (AUDIT_LOG_ACCESS). A read changes nothing, so its record has
   * no transaction to join: the records of concurrent reads are committed together in one
   * statement on the search connections, and this resolves once this one is committed.
   */
  async recordRead(action: AuditAction, details: AuditDetails): Promise<void> {
    const row = this.row(this.context.require(), action, 'RESPONSE_SUCCESS', details);
    try {
      await this.reads.add(row);
    } catch (error) {
      throw new AuditUnavailableError(error);
    }
  }

  /** Records a failure outside any transaction (its own), after the failed one rolled back. */
  async recordFailure(
    action: AuditAction,
    details: FailureDetails,
    ctx?: RequestContext,
  ): Promise<void> {
    const context = ctx ?? this.context.require();
    await this.insert(this.dataSource.manager, context, action, 'RESPONSE_FAILURE', details);
  }

  /**
   * Records a per-item failure inside the current transaction (an import item), so it lands
   * with the batch it belongs to.
   */
  async recordItemFailure(action: AuditAction, details: FailureDetails): Promise<void> {
    const ctx = this.context.require();
    try {
      await this.insert(this.txHost.tx, ctx, action, 'RESPONSE_FAILURE', details);
    } catch (error) {
      throw new AuditUnavailableError(error);
    }
  }

  /**
   * Records the outcomes of many items in one statement inside the current transaction (an
   * import batch): each entry is a record of its own, exactly as `record` or
   * `recordItemFailure` would have written it.
   */
  async recordMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const ctx = this.context.require();
    const rows = entries.map((e) =>
      this.row(
        ctx,
        e.action,
        'status' in e.details ? 'RESPONSE_FAILURE' : 'RESPONSE_SUCCESS',
        e.details,
      ),
    );
    try {
      await runSql(this.txHost.tx, INSERT_MANY, [JSON.stringify(rows)]);
    } catch (error) {
      throw new AuditUnavailableError(error);
    }
  }

  private async insert(
    manager: EntityManager,
    ctx: RequestContext,
    action: AuditAction,
    result: AuditResult,
    details: AuditDetails | FailureDetails,
  ): Promise<void> {
    const row = this.row(ctx, action, result, details);
    await runSql(manager, INSERT, [
      row.id,
      row.tenant_id,
      row.correlation_id,
      row.request_id,
      row.coi,
      row.service_id,
      row.service_host,
      row.action_name,
      JSON.stringify(row.action_parameters),
      row.result,
      row.message,
      row.return_value ? JSON.stringify(row.return_value) : null,
      row.acting_user_id,
      row.acting_user_immutable_id,
      row.acting_session_id,
      row.acting_auth_method,
      row.target_user_id,
      row.target_user_immutable_id,
    ]);
  }

  /** The stored columns of one record, from the context and the caller's details. */
  private row(
    ctx: RequestContext,
    action: AuditAction,
    result: AuditResult,
    details: AuditDetails | FailureDetails,
  ): AuditRow {
    if (!ctx.tenant) throw new ApiError(500, 'server_error', 'audit record without a tenant');
    const actor = details.actor ?? ctx.actor;
    const actingId = actor?.id ?? ctx.claimedClientId;
    const parameters: Record<string, string> = { Action: action };
    for (const [k, v] of Object.entries(details.parameters ?? {})) {
      if (v !== undefined) parameters[k] = String(v);
    }
    if (ctx.coi) parameters.COI = ctx.coi;
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
      action_parameters: redactParameters(parameters),
      result,
      message: details.message ?? null,
      return_value: failure ? { status: String(failure.status), error: failure.error } : null,
      acting_user_id: actingId ?? null,
      acting_user_immutable_id: actor?.immutableId ?? null,
      acting_session_id: actor?.session?.id ?? null,
      acting_auth_method: actor?.session?.authenticationMethod ?? null,
      target_user_id: details.target?.id ?? null,
      target_user_immutable_id: details.target?.immutableId ?? null,
    };
  }

  logFailure(error: unknown): void {
    this.logger.error({ err: error }, 'could not write a failure audit record');
  }
}
