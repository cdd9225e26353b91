import { Params } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
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
  return { pinoHttp: [options, destination ?? stdoutDestination()], forRoutes: [] };
}

/**
 * Standard output, written in chunks of about 4 KB (pino's asynchronous logging): pino's
 * default writes every line on its own through libuv's thread pool, a thread hand-off per
 * request that cost more of the service's CPU than building the line. A quiet service's
 * lines wait a quarter of a second at most; the buffer is written out synchronously when the
 * process exits, so only a crash of the runtime itself (out of memory, SIGKILL) can lose
 * the last few lines.
 */
function stdoutDestination(): DestinationStream {
  stdout = pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
  return stdout;
}

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * Writes out what the stdout buffer holds now, without waiting for the next periodic flush:
 * for lines an operator waits for, such as where the service listens once it has started.
 */
export function flushLogs(): void {
  // A failed write of a log line has nowhere better to be reported.
  stdout?.flush(() => undefined);
}

const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 250;
