import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance } from 'fastify';
import { Logger } from 'nestjs-pino';
import { parseTenantPath } from './common/route-family';
import { AppConfig } from './config/app-config';
import { registerCorrelationHook } from './context/correlation.hook';
import { MetricsService } from './health/metrics.service';
import { setupOpenApi } from './openapi/openapi.setup';
import { registerBodyParsers } from './common/body-parsers';

/**
 * Everything main.ts and the test app factory share, applied before routes are registered.
 */
export function configureApp(app: NestFastifyApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  registerCorrelationHook(fastify, config.correlationIdMaxLength);
  registerBodyParsers(fastify, config.limits);

  // SCIM responses speak application/scim+json (RFC 7644 §3.1), errors included.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (
      typeof type === 'string' &&
      type.startsWith('application/json') &&
      parseTenantPath(request.url).family === 'scim'
    ) {
      void reply.header('content-type', 'application/scim+json; charset=utf-8');
    }
    done(null, payload);
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  setupOpenApi(app, config);
}
