import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ApiError, scimError } from '../common/api-error';
import { isTenantName, parseTenantPath } from '../common/route-family';
import { RequestContextService } from './request-context.service';

/**
 * Runs before authentication on every route: a tenant segment that breaks the name rule is
 * an unknown route (404), and a broken X-Correlation-ID is refused (400) before anything
 * can change.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  constructor(private readonly context: RequestContextService) {}

  canActivate(execution: ExecutionContext): boolean {
    const request = execution
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { tenant?: string } }>>();
    const ctx = this.context.require();
    const tenant = request.params?.tenant;
    const { family } = parseTenantPath(request.url);
    if (tenant !== undefined) {
      if (!isTenantName(tenant)) {
        throw family === 'scim'
          ? scimError(404, undefined, 'Unknown route')
          : new ApiError(404, 'not_found', 'Unknown route');
      }
      ctx.tenant = tenant;
    }
    if (ctx.correlationError) {
      throw family === 'scim'
        ? scimError(400, 'invalidValue', ctx.correlationError)
        : new ApiError(400, 'invalid_correlation_id', ctx.correlationError);
    }
    return true;
  }
}
