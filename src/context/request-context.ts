import { ClsStore } from 'nestjs-cls';
import { RouteFamily } from './route-family';
import { TraceContext } from './trace-context';

/** Who acted: a client (its service-account user) or, for CIBA answers, a user. */
export interface Actor {
  id: string;
  immutableId?: string;
  session?: { id: string; authenticationMethod?: string };
  clientId?: string;
  scopes?: string[];
  tenant?: string;
}

/**
 * What a request (or a background job acting for one) carries. Filled by the correlation
 * hook from the raw request, then by the auth guard; read by the audit service.
 */
export interface RequestContext {
  requestId: string;
  correlationId?: string;
  /** Set when the header was present but broken; the request is then refused. */
  correlationError?: string;
  /**
   * The tenant a request's path names, when the name is a valid one: set once by the
   * correlation hook (background work carries it over from the request).
   */
  tenant?: string;
  /** Which error format the request's path speaks; set once by the correlation hook. */
  routeFamily?: RouteFamily;
  actor?: Actor;
  /** Client id a caller claimed before authentication succeeded (failure records). */
  claimedClientId?: string;
  /** COI of the long-running operation this work belongs to. */
  coi?: string;
  /** The caller's address: the socket's, or X-Forwarded-For's as TRUST_PROXY allows. */
  clientAddress?: string;
  /** Who called: the address (per TRUST_PROXY) and user agent of the request. */
  client?: RequestClient;
  /** The W3C Trace Context the request came with, if a valid one. */
  trace?: TraceContext;
}

export interface RequestClient {
  ipAddress: string;
  userAgent?: string;
  /** Set on background work: the client is that of the request that started it. */
  fromRequest?: true;
}

export interface AppClsStore extends ClsStore {
  ctx: RequestContext;
  /**
   * Set (to its reason) only inside TenantScopes.acrossTenants: the work then sees every
   * tenant's rows. Never carried over to jobs.
   */
  acrossTenants?: string;
}

/** Property under which the hook stores the context on the raw Fastify request. */
export const REQUEST_CONTEXT_KEY = 'requestContext';

export interface RequestWithContext {
  [REQUEST_CONTEXT_KEY]?: RequestContext;
}

/**
 * A client acting for itself: the one shape of a client actor, named by its client_id and
 * immutable through its service account's id.
 */
export function clientActor(
  clientId: string,
  serviceUserId: string | null | undefined,
  more: Pick<Actor, 'session' | 'scopes' | 'tenant'> = {},
): Actor {
  return { id: clientId, immutableId: serviceUserId ?? undefined, clientId, ...more };
}
