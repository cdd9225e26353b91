import { DynamicModule, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance } from 'fastify';
import { ClsServiceManager } from 'nestjs-cls';
import { Logger } from 'nestjs-pino';
import { BearerGuard } from '../auth/bearer.guard';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { AppLogger } from '../logging/app-logger';
import { setupOpenApi } from '../openapi/openapi.setup';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { FailureCoalescer } from './failure-coalescer';
import { FailureRecorder } from './failure-recorder';
import { registerAuthThrottleHook } from './auth-throttle.hook';
import { RequestLimitsService } from '../auth/request-limits.service';
import { registerBodyParsers } from './body-parsers';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  registerRefusedBodyDrain,
} from './client-errors';
import { dropClsPassThroughEnhancers } from './cls-pass-through';
import { registerConsole } from './console';
import { registerCorrelationHook } from './correlation.hook';
import { registerRateLimit } from './rate-limit';
import { registerReplyHooks } from './reply.hooks';
import { registerUnsafeInputHook } from './unsafe-input.hook';
import { RequestGuard } from './request.guard';

/**
 * The request pipeline, in the order a request meets it:
 *
 *   1. correlation hook   first onRequest hook: request id, correlation id, tenant and route
 *                         family into a new CLS context; both echo headers on the reply
 *   2. rate limit         onRequest; its 429 already carries the echo headers; a throttled
 *                         client authentication is answered here too (auth-throttle.hook.ts)
 *   3. body parsers       JSON, SCIM JSON and forms only; 1 MB, 10 MB on import routes;
 *                         nesting depth, NUL and unpaired surrogates (also in the query
 *                         and path, by a preValidation hook) refused as 400
 *   4. guards             RequestGuard (tenant name, correlation id), then BearerGuard
 *   5. handler            controller → service, inside the CLS context
 *   6. exception filter   any failure: the route's error format, one failure record
 *   7. reply hooks        SCIM media type on send; the request log line and metrics; a
 *                         refused body still arriving is drained so its 413 can be read
 *
 * Node's own refusals (bad request line 400, header overflow 431) never enter this pipeline:
 * clientErrorHandler answers them in the same shape, and frameworkErrorHandler the paths
 * Fastify's router refuses before any hook (client-errors.ts).
 *
 * Steps 1 and 2 go on Fastify before Nest registers anything (the limiter attaches itself
 * to each route as it is added); 4 and 6 are Nest providers the root module lists
 * (PIPELINE_PROVIDERS); the rest is set on the application before its routes exist.
 */
export async function createHttpApp(
  root: DynamicModule,
  config: AppConfig,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.bodyBytes,
    trustProxy: config.trustProxy,
    // Slow or idle clients do not keep sockets forever (408 or a close; client-errors.ts).
    connectionTimeout: config.http.idleTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    // Node checks those deadlines every 30 s by default, which would let a slow client hold
    // its socket up to 30 s past them.
    http: { connectionsCheckingInterval: 1000 },
    clientErrorHandler: clientErrorHandler(config.correlationIdMaxLength),
    frameworkErrors: frameworkErrorHandler(config.correlationIdMaxLength),
  });
  const fastify: FastifyInstance = adapter.getInstance();
  // Node's own bounds, which Fastify does not take as options: the headers' deadline (at most
  // the request's) and the cap on open connections (more are closed at accept).
  fastify.server.headersTimeout = Math.min(
    config.http.headersTimeoutMs,
    config.http.requestTimeoutMs,
  );
  fastify.server.maxConnections = config.http.maxConnections;
  registerCorrelationHook(
    fastify,
    ClsServiceManager.getClsService(),
    config.correlationIdMaxLength,
  );
  await registerRateLimit(fastify, config.rateLimit);

  // A failed start is thrown to the caller (main.ts prints one sentence), not logged by Nest
  // together with every buffered start-up line.
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(new AppLogger(app.get(Logger)));
  app.flushLogs();
  dropClsPassThroughEnhancers(app);
  registerAuthThrottleHook(
    fastify,
    app.get(RequestLimitsService),
    app.get(FailureRecorder),
    config,
  );
  registerBodyParsers(fastify, config.limits);
  registerUnsafeInputHook(fastify);
  registerRefusedBodyDrain(fastify);
  registerReplyHooks(fastify, app.get(MetricsService), config);
  setupOpenApi(app, config);
  await registerConsole(app);
  // No Nest shutdown hooks: main.ts stops on signals in its own order (lifecycle.ts).
  return app;
}

/**
 * Steps 4 and 6 as the root module's providers. Order matters: the request guard (tenant
 * shape, correlation id) runs before authentication.
 */
export const PIPELINE_PROVIDERS: Provider[] = [
  { provide: APP_GUARD, useClass: RequestGuard },
  { provide: APP_GUARD, useExisting: BearerGuard },
  { provide: APP_FILTER, useClass: AllExceptionsFilter },
  FailureCoalescer,
  FailureRecorder,
];
