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
import { redactParameters } from './redaction';

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

const INSERT = `
  INSERT INTO audit_records (
    id, tenant_id, correlation_id, request_id, coi, service_id, service_host, action_name,
    action_parameters, result, message, return_value, acting_user_id, acting_user_immutable_id,
    acting_session_id, acting_auth_method, target_user_id, target_user_immutable_id, created, hash)
  VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18, now(), '')`;

/**
 * Writes audit records. Context (tenant, correlation id, request id, actor, COI) comes from
 * CLS, never from callers; success records go through the CLS transaction so a change and
 * its record commit or roll back together.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly host = hostname();

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly context: RequestContextService,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Records a successful state change inside the current transaction. */
  async record(action: AuditAction, details: AuditDetails = {}): Promise<void> {
    const ctx = this.context.require();
    try {
      await this.insert(this.txHost.tx, ctx, action, 'RESPONSE_SUCCESS', details);
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

  private async insert(
    manager: EntityManager,
    ctx: RequestContext,
    action: AuditAction,
    result: AuditResult,
    details: AuditDetails | FailureDetails,
  ): Promise<void> {
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
    await manager.query(INSERT, [
      uuidv7(),
      ctx.tenant,
      ctx.correlationId ?? null,
      ctx.requestId,
      coi ?? null,
      this.config.serviceId,
      this.host,
      action,
      JSON.stringify(redactParameters(parameters)),
      result,
      details.message ?? null,
      failure ? JSON.stringify({ status: String(failure.status), error: failure.error }) : null,
      actingId ?? null,
      actor?.immutableId ?? null,
      actor?.session?.id ?? null,
      actor?.session?.authenticationMethod ?? null,
      details.target?.id ?? null,
      details.target?.immutableId ?? null,
    ]);
  }

  logFailure(error: unknown): void {
    this.logger.error({ err: error }, 'could not write a failure audit record');
  }
}
