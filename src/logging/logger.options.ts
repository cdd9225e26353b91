import { Params } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import { IncomingMessage } from 'node:http';
import { LOG_REDACT_PATHS } from '../audit/redaction';
import { AppConfig } from '../config/app-config';
import {
  REQUEST_CONTEXT_KEY,
  RequestContext,
  RequestWithContext,
} from '../context/request-context';

function currentContext(): RequestContext | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.get<RequestContext | undefined>('ctx') : undefined;
}

/**
 * Structured JSON logs. Every line carries `requestId` and `correlationId`: request lines
 * from the raw request, everything else (services, background jobs) from the CLS context.
 */
export function loggerOptions(config: AppConfig, destination?: DestinationStream): Params {
  const options = {
    level: config.logLevel,
    redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
    genReqId: (req: IncomingMessage) =>
      (req as RequestWithContext)[REQUEST_CONTEXT_KEY]?.requestId ?? '',
    customProps: (req: IncomingMessage) => {
      const ctx = (req as RequestWithContext)[REQUEST_CONTEXT_KEY];
      return { requestId: ctx?.requestId, correlationId: ctx?.correlationId, tenant: ctx?.tenant };
    },
    mixin: () => {
      const ctx = currentContext();
      return ctx
        ? { requestId: ctx.requestId, correlationId: ctx.correlationId, coi: ctx.coi }
        : {};
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({
        method: req.method,
        url: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    quietReqLogger: true,
  };
  return { pinoHttp: destination ? [options, destination] : options };
}
