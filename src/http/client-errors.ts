import { ConnectionError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { v7 as uuidv7 } from 'uuid';
import { parseCorrelationHeader } from '../context/correlation-id';
import { parseTenantPath } from '../context/route-family';
import { SCIM_JSON_CONTENT_TYPE } from '../scim/scim-constants';
import { contextFor, echoHeaders } from './correlation.hook';

const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * Node's own refusals (a request line or header it cannot parse: 400; headers over its
 * limit: 431; a request that took too long: 408) never reach Fastify's pipeline, so no hook
 * sets the echo headers. This answers them the way every other answer looks: X-Request-ID,
 * X-Correlation-ID when the bytes received carry a valid one, and the route's error body when
 * the request line names a route (SCIM under /{tenant}/v2, OAuth otherwise).
 */
export function clientErrorHandler(
  correlationIdMaxLength: number,
): (error: ConnectionError, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    // Node hands over the bytes it refused as a Buffer, whatever the declared type says.
    const packet: unknown = error.rawPacket;
    if (socket.writable) {
      socket.write(
        clientErrorResponse(
          status,
          Buffer.isBuffer(packet) ? packet : undefined,
          correlationIdMaxLength,
        ),
      );
    }
    socket.destroy();
  };
}

/** The whole HTTP response for a refusal by Node's parser; exported for its unit spec. */
export function clientErrorResponse(
  status: number,
  rawPacket: Buffer | undefined,
  correlationIdMaxLength: number,
): string {
  const seen = readPacket(rawPacket);
  const correlation = parseCorrelationHeader(seen.correlationHeader, correlationIdMaxLength);
  const correlationId = correlation.kind === 'valid' ? correlation.value : undefined;
  const detail = DETAILS[status] ?? 'The request could not be parsed';
  const scim = seen.path !== undefined && parseTenantPath(seen.path).family === 'scim';
  const body = JSON.stringify(errorBody(scim, status, detail, correlationId));
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `Content-Type: ${scim ? SCIM_JSON_CONTENT_TYPE : 'application/json; charset=utf-8'}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-ID: ${uuidv7()}`,
    ...(correlationId !== undefined ? [`X-Correlation-ID: ${correlationId}`] : []),
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

const DETAILS: Record<number, string> = {
  400: 'The request could not be parsed as HTTP',
  408: 'The request took too long to arrive',
  431: 'The request headers are larger than the server accepts',
};

/** The route's error body, as the exception filter renders it, for answers made outside it. */
function errorBody(
  scim: boolean,
  status: number,
  detail: string,
  correlationId: string | undefined,
): Record<string, unknown> {
  const id = correlationId !== undefined ? { correlationId } : {};
  return scim
    ? { schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail, ...id }
    : { error: 'invalid_request', error_description: detail, ...id };
}

/**
 * Fastify's router refuses some paths before any hook runs: a percent-encoding that does not
 * decode (`%ED%A0%80`, a lone surrogate; `%G0`) is 400, a path parameter longer than
 * maxParamLength is 414. Its default answer has neither echo header and its own body; this
 * one has both and the route's error format.
 */
export function frameworkErrorHandler(
  correlationIdMaxLength: number,
): (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const ctx = contextFor(request.raw, correlationIdMaxLength);
    const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
    const detail =
      status === 414
        ? 'A segment of the request path is longer than the server accepts'
        : 'The request path is not a valid URL (malformed percent-encoding)';
    echoHeaders(reply, ctx);
    const scim = ctx.routeFamily === 'scim';
    void reply
      .code(status)
      .type(scim ? SCIM_JSON_CONTENT_TYPE : 'application/json; charset=utf-8')
      .send(errorBody(scim, status, detail, ctx.correlationId));
  };
}

/**
 * What the bytes Node refused say about the request, read leniently: the path of a request
 * line, and the X-Correlation-ID header if it appears exactly once.
 */
function readPacket(rawPacket: Buffer | undefined): {
  path?: string;
  correlationHeader?: string | string[];
} {
  if (!rawPacket) return {};
  const text = rawPacket.toString('latin1', 0, Math.min(rawPacket.length, 65_536));
  const line = /^[A-Z]{3,10} (\/[^ \r\n]*) HTTP\/1\.[01]\r?\n/.exec(text);
  const ids = [...text.matchAll(/\r?\nx-correlation-id:[ \t]*([^\r\n]*?)[ \t]*(?=\r?\n)/gi)].map(
    (m) => m[1],
  );
  return {
    path: line?.[1],
    correlationHeader: ids.length === 0 ? undefined : ids.length === 1 ? ids[0] : ids,
  };
}

/** Longest a refused body is read (and thrown away) so its sender can read the answer. */
const DRAIN_MS = 30_000;
/** Most bytes of a refused body read before the connection is closed anyway. */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * A body refused before it was read (413 on Content-Length, malformed JSON mid-stream) is
 * answered at once, and Fastify then asks for `Connection: close`, so Node destroys the
 * socket while the client is still sending: the client meets a reset (EPIPE) and often never
 * reads the 413. Instead the rest of the body is read and discarded, within a time and byte
 * budget, so the client finishes sending and then reads the answer.
 */
export function registerRefusedBodyDrain(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    if (reply.statusCode >= 400 && !raw.complete && reply.getHeader('connection') === 'close') {
      reply.removeHeader('connection');
      const socket = raw.socket;
      // An injected request (tests) has a stand-in socket with nothing to drain or destroy.
      if (typeof socket?.destroy !== 'function') return done(null, payload);
      let received = 0;
      const stop = () => {
        clearTimeout(timer);
        raw.removeListener('data', count);
      };
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received > DRAIN_BYTES) {
          stop();
          socket.destroy();
        }
      };
      const timer = setTimeout(() => {
        stop();
        socket.destroy();
      }, DRAIN_MS);
      timer.unref();
      raw.on('data', count);
      // Once the body has arrived the connection is in step again and stays open.
      raw.once('end', stop);
      raw.once('close', stop);
      raw.resume();
    }
    done(null, payload);
  });
}
