import { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { enableQueryTiming } from '../database/query-timing';
import { MetricsService } from '../health/metrics.service';
import { requestLogLine } from './request-log';
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
  // The line is built from fixed fields that never hold a secret (request-log.ts),
  // so it skips the redaction every other line gets, a measured cost per request.
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
  const debug = ['debug', 'trace'].includes(config.logLevel);
  enableQueryTiming(debug);
  fastify.addHook('onResponse', (request, reply, done) => {
    const ctx = contextFor(request.raw, config.correlationIdMaxLength);
    requestLogger().info(requestLogLine(request, reply, ctx, debug), 'request completed');
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
