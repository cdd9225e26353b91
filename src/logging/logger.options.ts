import { Params } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import { LOG_REDACT_PATHS } from '../common/redaction';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../context/request-context';
import { safeErrorSerializer } from './error-serializer';

function currentContext(): RequestContext | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.get<RequestContext | undefined>('ctx') : undefined;
}

/**
 * Structured JSON logs. Every line carries `requestId` and `correlationId`: the completion
 * line of a request from the request itself, everything else (services, background jobs)
 * from the CLS context.
 */
export function loggerOptions(config: AppConfig, destination?: DestinationStream): Params {
  const options = {
    level: config.logLevel,
    redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
    // A failed statement's parameters (passwords, secrets, tokens) never reach a log line.
    serializers: { err: safeErrorSerializer },
    mixin: () => {
      const ctx = currentContext();
      return ctx
        ? {
            requestId: ctx.requestId,
            correlationId: ctx.correlationId,
            coi: ctx.coi,
            traceId: ctx.trace?.traceId,
          }
        : {};
    },
  };
  // No per-request middleware: pino-http would build a child logger for every request, and
  // the mixin already stamps the ids on every line. Requests are logged once, on completion,
  // by the onResponse hook (app.setup.ts).
  return { pinoHttp: destination ? [options, destination] : options, forRoutes: [] };
}
