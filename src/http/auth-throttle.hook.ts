import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { claimedBasicClientId } from '../auth/client-authenticator.service';
import { RequestLimitsService } from '../auth/request-limits.service';
import { contextFor } from './correlation.hook';
import { FailureRecorder } from './failure-recorder';
import { noteFailure } from './request-log';

/** The routes that authenticate a client by its secret (their Fastify route urls). */
const CLIENT_AUTHENTICATION_ROUTES = new Set(['/:tenant/authn/token', '/:tenant/authn/bcauthorize']);

const FORM = 'application/x-www-form-urlencoded';

/**
 * A throttled authentication (AUTH_FAILURE_MAX, request-limits.service.ts) answered before
 * Nest's pipeline: a flood of bad token requests is what this limit meets, and each refusal
 * would otherwise pay for body parsing, guards, the handler, an exception with its stack and
 * the filter, on the event loop every other request shares. The answer and its record are
 * the ones the pipeline would give (OAuth format, `Retry-After`, the echo headers from the
 * correlation hook, the coalesced record), given after AUTH_FAILURE_DELAY_MS.
 *
 * Basic credentials name the client before the body is read, so those requests are answered
 * at onRequest; with `client_secret_post` the client id is in the form, so at preValidation,
 * once it is parsed. Whatever the pipeline would refuse first for another reason (a broken
 * tenant name or correlation id, not a form, malformed credentials) is left to it.
 */
export function registerAuthThrottleHook(
  fastify: FastifyInstance,
  limits: RequestLimitsService,
  failures: FailureRecorder,
  config: AppConfig,
): void {
  const { correlationIdMaxLength } = config;
  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    clientId: string | undefined,
  ): Promise<boolean> => {
    const ctx = contextFor(request.raw, correlationIdMaxLength);
    if (!ctx.tenant || ctx.correlationError) return false;
    const refusal = limits.authenticationRefusal(ctx.tenant, clientId, ctx.clientAddress);
    if (!refusal) return false;
    ctx.claimedClientId = clientId;
    noteFailure(request.raw, 'too_many_requests');
    await failures.record(request, {
      status: 429,
      error: 'too_many_requests',
      message: refusal.detail,
      coalesceKey: refusal.coalesceKey,
    });
    // The refused client has to wait Retry-After anyway; making it wait for the answer
    // keeps a flood on a few connections to a few refusals a second each (tarpit).
    if (refusal.holdMs > 0) await sleep(refusal.holdMs);
    const body: Record<string, string> = {
      error: 'too_many_requests',
      error_description: refusal.detail,
    };
    if (ctx.correlationId !== undefined) body.correlationId = ctx.correlationId;
    void reply
      .headers({
        'Retry-After': String(refusal.retryAfterSeconds),
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
      })
      .code(429)
      .send(body);
    return true;
  };
  const applies = (request: FastifyRequest): boolean =>
    request.method === 'POST' &&
    CLIENT_AUTHENTICATION_ROUTES.has(request.routeOptions.url ?? '') &&
    (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM);

  fastify.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined || !applies(request)) return;
    const clientId = claimedBasicClientId(header);
    // An async hook that answered returns the reply, so Fastify goes no further.
    if (clientId !== undefined && (await refuse(request, reply, clientId))) return reply;
  });
  fastify.addHook('preValidation', async (request, reply) => {
    if (request.headers.authorization !== undefined || !applies(request)) return;
    const form = request.body as Record<string, unknown> | undefined;
    const clientId = form?.client_id;
    if (typeof clientId !== 'string' || clientId === '') return;
    if (await refuse(request, reply, clientId.slice(0, 128))) return reply;
  });
}
