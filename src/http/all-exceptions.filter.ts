import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Inject,
  Logger,
} from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScimFilterError } from '../scim/filter';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseError } from '../database/database-error';
import { SqlState } from '../database/sqlstate';
import { ApiError, AuditUnavailableError, statusCode } from '../common/api-error';
import { contextFor, echoHeaders } from './correlation.hook';
import { FailureRecorder } from './failure-recorder';
import { noteFailure } from './request-log';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Normalised {
  status: number;
  code: string;
  scimType?: string;
  detail: string;
  headers: Record<string, string>;
  skipAudit: boolean;
  /** The failure came from a database that cannot answer now: its record waits (backlog). */
  databaseDown?: boolean;
  coalesceKey?: string;
  holdMs?: number;
}

/**
 * The one exception filter: every error (Nest, Fastify body parsing, database, ours) becomes a
 * body in the route's format with no stack, SQL or secret, and a failed write on a tenant
 * route leaves exactly one RESPONSE_FAILURE record, written after the failed transaction.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly failures: FailureRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = this.normalise(exception);
    noteFailure(request.raw, error.scimType ?? error.code);
    if (error.status >= 500) {
      this.logger.error({ err: exception }, `request failed with ${error.status}`);
    }
    if (!error.skipAudit) {
      await this.failures.record(request, {
        status: error.status,
        error: error.scimType ?? error.code,
        message: error.detail,
        databaseDown: error.databaseDown,
        coalesceKey: error.coalesceKey,
      });
    }
    // A flood's refusal waits (AUTH_FAILURE_DELAY_MS), so a few connections get few answers.
    if (error.holdMs) await sleep(error.holdMs);
    if (reply.sent) return;
    // Fastify's 404 router answers a path it cannot decode on a method with no routes
    // (OPTIONS /x/%) by calling the not-found handler directly, past every hook, so the
    // echo headers the correlation hook sets may be missing here.
    if (!reply.hasHeader('x-request-id')) {
      echoHeaders(reply, contextFor(request.raw, this.config.correlationIdMaxLength));
    }
    void reply.headers(error.headers).status(error.status).send(this.render(request, error));
  }

  private normalise(exception: unknown): Normalised {
    const base = { headers: {} as Record<string, string>, skipAudit: false };
    if (exception instanceof ApiError) {
      return {
        ...base,
        status: exception.status,
        code: exception.code,
        scimType: exception.options.scimType,
        detail: exception.detail,
        headers: exception.options.headers ?? {},
        skipAudit: exception.options.skipAudit ?? false,
        coalesceKey: exception.options.coalesceKey,
        holdMs: exception.options.holdMs,
      };
    }
    if (exception instanceof ScimFilterError) {
      return {
        ...base,
        status: 400,
        code: 'invalid_request',
        scimType: exception.scimType,
        detail: exception.message,
      };
    }
    const unavailable = isDatabaseUnavailable(exception);
    if (exception instanceof AuditUnavailableError || unavailable || isDatabaseTimeout(exception)) {
      return {
        ...base,
        status: 503,
        code: 'temporarily_unavailable',
        detail: 'The service is temporarily unavailable; retry later',
        headers: { 'Retry-After': '5' },
        databaseDown:
          unavailable ||
          (exception instanceof AuditUnavailableError && isDatabaseUnavailable(exception.cause)),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return {
        ...base,
        status,
        code: statusCode(status),
        detail: httpExceptionDetail(exception),
        scimType: status === 400 ? 'invalidValue' : undefined,
      };
    }
    const exposed = exposedClientError(exception);
    if (exposed) return { ...base, ...exposed };
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (
      typeof fastifyError.statusCode === 'number' &&
      fastifyError.statusCode < 500 &&
      typeof fastifyError.code === 'string' &&
      fastifyError.code.startsWith('FST_')
    ) {
      return { ...base, ...fromFastifyError(fastifyError.statusCode, fastifyError.code) };
    }
    return { ...base, status: 500, code: 'server_error', detail: 'An internal error occurred' };
  }

  /**
   * The route's error format. A valid correlation id is added to the body too, so a caller
   * who logs only bodies can still hand it to support; an invalid one is never echoed.
   */
  private render(request: FastifyRequest, error: Normalised): unknown {
    const ctx = contextFor(request.raw, this.config.correlationIdMaxLength);
    const correlation = ctx.correlationId !== undefined ? { correlationId: ctx.correlationId } : {};
    if (ctx.routeFamily === 'scim') {
      return {
        schemas: [SCIM_ERROR_SCHEMA],
        status: String(error.status),
        ...(error.scimType ? { scimType: error.scimType } : {}),
        detail: error.detail,
        ...correlation,
      };
    }
    return { error: error.code, error_description: error.detail, ...correlation };
  }
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

function fromFastifyError(status: number, code: string): Omit<Normalised, 'headers' | 'skipAudit'> {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        code: 'invalid_request',
        scimType: 'invalidSyntax',
        detail: 'The request body is not valid JSON',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: 'request_too_large',
        scimType: 'tooLarge',
        detail: 'The request body is larger than this route accepts',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: status === 415 ? 415 : 400,
        code: statusCode(status),
        detail: 'Unsupported or invalid request body',
      };
    default:
      return {
        status,
        code: statusCode(status),
        scimType: status === 400 ? 'invalidSyntax' : undefined,
        detail: 'The request could not be processed',
      };
  }
}

/**
 * An http-errors client error its thrower marks as safe to show (`expose`), such as the 416
 * @fastify/send throws for an unsatisfiable Range on a console file: its own status, with
 * the Content-Range it carries, rather than a 500.
 */
function exposedClientError(exception: unknown): Omit<Normalised, 'skipAudit'> | undefined {
  const e = exception as { status?: unknown; expose?: unknown; headers?: unknown };
  if (e?.expose !== true || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) {
    return undefined;
  }
  const given = (e.headers ?? {}) as Record<string, unknown>;
  const range = given['Content-Range'];
  return {
    status: e.status,
    code: statusCode(e.status),
    detail: STATUS_CODES[e.status] ?? 'The request could not be processed',
    headers: typeof range === 'string' ? { 'Content-Range': range } : {},
  };
}

/**
 * Whether a failure means the database cannot be reached or cannot serve right now (503
 * with Retry-After), whether it surfaced raw (pool acquisition, transaction begin) or as a
 * DatabaseError from a statement.
 */
export function isDatabaseUnavailable(exception: unknown): boolean {
  return DatabaseError.from(exception).isUnavailable();
}

/**
 * A write's statement ran past DB_STATEMENT_TIMEOUT_MS or waited past DB_LOCK_TIMEOUT_MS: the
 * database is overloaded, not the request wrong (searches answer their own timeout earlier).
 */
export function isDatabaseTimeout(exception: unknown): boolean {
  const error = DatabaseError.from(exception);
  return error.isQueryCanceled() || error.code === SqlState.LOCK_NOT_AVAILABLE;
}
