import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ApiError, scimError } from '../common/api-error';
import { RequestContextService } from '../context/request-context.service';

/**
 * Runs before authentication on every route: a tenant segment that breaks the name rule is
 * an unknown route (404), and a broken X-Correlation-ID is refused (400) before anything
 * can change. Both were judged by the correlation hook; this only acts on its verdicts.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  constructor(private readonly context: RequestContextService) {}

  canActivate(execution: ExecutionContext): boolean {
    const request = execution
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { tenant?: string } }>>();
    const ctx = this.context.require();
    const scim = ctx.routeFamily === 'scim';
    // The hook keeps a path's tenant only when its name is valid.
    if (request.params?.tenant !== undefined && ctx.tenant === undefined) {
      throw scim
        ? scimError(404, undefined, 'Unknown route')
        : new ApiError(404, 'not_found', 'Unknown route');
    }
    if (ctx.correlationError) {
      throw scim
        ? scimError(400, 'invalidValue', ctx.correlationError)
        : new ApiError(400, 'invalid_correlation_id', ctx.correlationError);
    }
    return true;
  }
}
