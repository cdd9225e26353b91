import { FastifyReply, FastifyRequest } from 'fastify';
import { IncomingMessage } from 'node:http';
import { RequestContext } from '../context/request-context';
import { queryTimingOf } from '../database/query-timing';

const FAILURE_CODE = Symbol('failureCode');

type WithFailure = IncomingMessage & { [FAILURE_CODE]?: string };

/** Notes why a request failed (the code of its error body) for its log line. */
export function noteFailure(raw: IncomingMessage, code: string): void {
  (raw as WithFailure)[FAILURE_CODE] = code;
}

/**
 * The one line logged per request, built from fixed fields that never hold a secret: the
 * path without its query, the client id (never its secret or token), the caller's address
 * as TRUST_PROXY allows it to be known. At debug it adds the matched route and what the
 * request's database statements took.
 */
export function requestLogLine(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: RequestContext,
  debug: boolean,
): Record<string, unknown> {
  const failure = (request.raw as WithFailure)[FAILURE_CODE];
  const clientId = ctx.actor?.clientId ?? ctx.claimedClientId;
  const line: Record<string, unknown> = {
    requestId: ctx.requestId,
    correlationId: ctx.correlationId,
    traceId: ctx.trace?.traceId,
    tenant: ctx.tenant,
    clientId: clientId === undefined ? undefined : printable(clientId),
    ip: request.ip,
    req: { method: request.method, url: printable(request.url.split('?', 1)[0]) },
    res: { statusCode: reply.statusCode },
    responseTime: Math.round(reply.elapsedTime * 10) / 10,
  };
  if (reply.statusCode >= 400) line.error = failure ?? `http_${reply.statusCode}`;
  if (debug) {
    line.route = request.routeOptions.url ?? null;
    line.db = queryTimingOf(ctx) ?? { statements: 0, ms: 0 };
  }
  return line;
}

/**
 * JSON escapes C0 controls but leaves DEL and the C1 range raw; a path or claimed client id
 * is the caller's text, so those become escapes too, and no log line carries a raw control.
 */
function printable(text: string): string {
  return text.replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
