import { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { SCIM_JSON_CONTENT_TYPE } from '../scim/scim-constants';
import { contextFor } from './correlation.hook';

/** The last step of the pipeline: what every reply gets on its way out. */
export function registerReplyHooks(
  fastify: FastifyInstance,
  metrics: MetricsService,
  config: AppConfig,
): void {
  // SCIM responses speak application/scim+json (RFC 7644 §3.1), errors included.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (
      typeof type === 'string' &&
      type.startsWith('application/json') &&
      contextFor(request.raw, config.correlationIdMaxLength).routeFamily === 'scim'
    ) {
      void reply.header('content-type', SCIM_JSON_CONTENT_TYPE);
    }
    done(null, payload);
  });

  // The root logger of this application, taken once it exists: nestjs-pino sets it while
  // Nest initialises (after this function), and tests run several applications per process.
  // pino-http's req/res serializers expect raw Node objects; these lines carry plain ones.
  // The line is built here from fixed fields that never hold a secret (the URL without its
  // query), so it skips the redaction every other line gets, a measured cost per request.
  let logger: typeof PinoLogger.root | undefined;
  const requestLogger = () =>
    (logger ??= PinoLogger.root.child(
      {},
      { serializers: { req: plain, res: plain }, redact: { paths: [] } },
    ));
  fastify.addHook('onReady', (done) => {
    requestLogger();
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const ctx = contextFor(request.raw, config.correlationIdMaxLength);
    requestLogger().info(
      {
        requestId: ctx.requestId,
        correlationId: ctx.correlationId,
        tenant: ctx.tenant,
        req: { method: request.method, url: request.url.split('?', 1)[0] },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}

const plain = (value: unknown) => value;
