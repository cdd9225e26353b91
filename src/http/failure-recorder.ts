import { Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AUDIT_ACCESS_ACTIONS, AuditAction } from '../audit/audit-actions';
import { AUDIT_ROUTE_CONFIG_KEY } from '../audit/audit-action.decorator';
import { AuditService } from '../audit/audit.service';
import { AccessTokenService } from '../auth/access-token.service';
import { basicClientId } from '../auth/client-authenticator.service';
import { TenantsService } from '../auth/tenants.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REQUEST_CONTEXT_KEY, RequestContext, RequestWithContext } from '../context/request-context';
import { FailureCoalescer } from './failure-coalescer';

/** What a refused request's RESPONSE_FAILURE record says about it. */
export interface RefusedRequest {
  status: number;
  /** The body's code: the SCIM type when it has one, else the OAuth-style code. */
  error: string;
  message: string;
  /** The failure came from a database that cannot answer now: its record waits (backlog). */
  databaseDown?: boolean;
  /** Repeats of the same key within a short window share one record (failure-coalescer.ts). */
  coalesceKey?: string;
}

/**
 * The one RESPONSE_FAILURE record of a refused write on a tenant route, written after the
 * failed transaction: for the exception filter, and for the answers given before Nest's
 * pipeline (a throttled authentication, auth-throttle.hook.ts), so both record alike.
 */
@Injectable()
export class FailureRecorder {
  constructor(
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly tokens: AccessTokenService,
    private readonly coalescer: FailureCoalescer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(request: FastifyRequest, refused: RefusedRequest): Promise<void> {
    const action = (
      request.routeOptions?.config as unknown as Record<string, unknown> | undefined
    )?.[AUDIT_ROUTE_CONFIG_KEY] as AuditAction | undefined;
    // Reads are not recorded, except reads of the audit trail itself (API.md §5), which are
    // recorded, refused ones included, exactly when AUDIT_LOG_ACCESS is on.
    if (action && AUDIT_ACCESS_ACTIONS.has(action)) {
      if (!this.config.auditLogAccess) return;
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      return;
    }
    const ctx = (request.raw as RequestWithContext)[REQUEST_CONTEXT_KEY];
    const tenant = ctx?.tenant;
    if (!action || !ctx || !tenant) return;
    try {
      // Nobody can read the trail of a tenant that does not exist; writing one would let
      // anyone fill the table with made-up tenants.
      if (!(await this.tenants.exists(tenant))) return;
      const claimedClientId =
        ctx.actor || ctx.claimedClientId ? ctx.claimedClientId : this.claimedClient(request);
      const details = { status: refused.status, error: refused.error, message: refused.message };
      const failed: RequestContext = { ...ctx, tenant, claimedClientId };
      if (refused.coalesceKey && this.coalescer.absorb(refused.coalesceKey, action, details, failed)) {
        return;
      }
      await this.audit.recordFailure(action, details, failed, {
        databaseDown: refused.databaseDown,
      });
    } catch (e) {
      this.audit.logFailure(e);
    }
  }

  /**
   * The client a request claimed when it failed before authentication ran (a body refused
   * by the parser): unauthenticated failures are recorded with the client id they claimed.
   */
  private claimedClient(request: FastifyRequest): string | undefined {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const bearer = /^Bearer +(\S+) *$/i.exec(header);
    return bearer ? this.tokens.claimedClientId(bearer[1]) : basicClientId(header);
  }
}
