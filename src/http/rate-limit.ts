import rateLimit from '@fastify/rate-limit';
import { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config';
import { ApiError } from '../common/api-error';

/** Probes are never limited: an orchestrator must always reach them. */
const UNLIMITED = /^\/(health\/|metrics(\?|$))/;

/**
 * Rate limiting per client address (`RATE_LIMIT_MAX` requests per `RATE_LIMIT_WINDOW_SECONDS`;
 * off when 0, the default). It runs as an onRequest hook after the correlation hook, so a 429
 * carries `X-Correlation-ID` and `X-Request-ID` like every other response. Every response of
 * a limited service carries `X-RateLimit-Limit`, `-Remaining` and `-Reset`; a 429 also
 * `Retry-After`, and its body is the route's error format. A refused write is recorded as a
 * failure of the route's action, as every failed write is (API.md §5).
 */
export async function registerRateLimit(
  fastify: FastifyInstance,
  limit: AppConfig['rateLimit'],
): Promise<void> {
  if (limit.max === 0) return;
  await fastify.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    allowList: (request) => UNLIMITED.test(request.url),
    errorResponseBuilder: (_request, context) => {
      const seconds = String(Math.max(1, Math.ceil(context.ttl / 1000)));
      return new ApiError(
        429,
        'too_many_requests',
        `Rate limit exceeded: at most ${context.max} requests per ${limit.windowSeconds} s from one address; retry in ${seconds} s`,
        { headers: { 'Retry-After': seconds } },
      );
    },
  });
}
