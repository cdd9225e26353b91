import { FastifyInstance, FastifyReply } from 'fastify';
import { IncomingMessage } from 'node:http';
import { v7 as uuidv7 } from 'uuid';
import { parseCorrelationHeader } from '../context/correlation-id';
import { isTenantName, parseTenantPath } from '../context/route-family';
import { parseTraceContext, traceResponse } from '../context/trace-context';
import { ClsService } from 'nestjs-cls';
import {
  AppClsStore,
  REQUEST_CONTEXT_KEY,
  RequestContext,
  RequestWithContext,
} from '../context/request-context';

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * The request's context, made once from the raw request whichever of the Fastify hook or the
 * CLS middleware meets it first: the request id, the judged correlation header, and the
 * tenant and route family its path names (the one place the path is read for them).
 */
export function contextFor(raw: IncomingMessage, maxLength: number): RequestContext {
  const holder = raw as IncomingMessage & RequestWithContext;
  const existing = holder[REQUEST_CONTEXT_KEY];
  if (existing) return existing;
  const header = parseCorrelationHeader(raw.headers[CORRELATION_HEADER], maxLength);
  const ctx: RequestContext = { requestId: uuidv7() };
  if (header.kind === 'valid') ctx.correlationId = header.value;
  if (header.kind === 'invalid') ctx.correlationError = header.reason;
  const { tenant, family } = parseTenantPath(raw.url ?? '');
  ctx.routeFamily = family;
  if (isTenantName(tenant)) ctx.tenant = tenant;
  holder[REQUEST_CONTEXT_KEY] = ctx;
  return ctx;
}

/**
 * The first hook of every request, before routing, body parsing, guards or filters. It opens
 * the request's CLS context, so everything after it (Nest middleware, guards, pipes,
 * handlers, filters, the audit writes) runs inside that context; Fastify carries the context
 * across body parsing. On Fastify this is where Nest's own middleware would run (middie is an
 * onRequest hook), without middie's per-request work: see docs/architecture.md.
 *
 * Both echo headers are set on the reply here, so no later failure (404, 413, malformed JSON,
 * a throw anywhere) can send a response without them. An invalid correlation id is never
 * echoed.
 */
export function registerCorrelationHook(
  fastify: FastifyInstance,
  cls: ClsService<AppClsStore>,
  maxLength: number,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const ctx = contextFor(request.raw, maxLength);
    ctx.clientAddress = request.ip;
    const { headers } = request.raw;
    // request.ip follows TRUST_PROXY (the socket's address by default), as the log line does.
    ctx.client = { ipAddress: request.ip };
    const agent = headers['user-agent'];
    if (agent) ctx.client.userAgent = agent.slice(0, USER_AGENT_MAX_LENGTH);
    ctx.trace = parseTraceContext(headers.traceparent, headers.tracestate);
    echoHeaders(reply, ctx);
    if (ctx.trace) void reply.header('traceresponse', traceResponse(ctx.trace));
    // Nest's guards refuse a broken id on every Nest route; the OpenAPI routes are served by
    // Swagger's own Fastify plugin, which no guard sees, so they refuse it here.
    if (ctx.correlationError && DOCS_ROUTE.test(request.url)) {
      void reply
        .code(400)
        .send({ error: 'invalid_correlation_id', error_description: ctx.correlationError });
      return;
    }
    cls.run(() => {
      cls.set('ctx', ctx);
      done();
    });
  });
}

/** X-Request-ID always, X-Correlation-ID only when the request's was valid. */
export function echoHeaders(reply: FastifyReply, ctx: RequestContext): void {
  if (ctx.correlationId !== undefined) void reply.header('X-Correlation-ID', ctx.correlationId);
  void reply.header('X-Request-ID', ctx.requestId);
}

/** Longer user agents are cut for the audit record (browsers send about 150 characters). */
const USER_AGENT_MAX_LENGTH = 512;

const DOCS_ROUTE = /^\/docs(-json|\/|$|\?)/;
