import { INestApplicationContext } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC, REQUIRED_SCOPES } from '../common/access.decorators';

/**
 * What every operation of the document gets without its route declaring it: its security
 * (so Swagger UI's Authorize sends the token) and the error answers the pipeline can give
 * it, each with its body (SCIM or OAuth, by route family) and the echo headers.
 */

export const BEARER_SCHEME = 'bearer';
export const CLIENT_BASIC_SCHEME = 'client_secret_basic';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** @nestjs/swagger's metadata key of @ApiOperation (its constants are not exported). */
const API_OPERATION = 'swagger/apiOperation';

/** How a route lets its caller in, read off the same decorators the guards read. */
interface Access {
  public: boolean;
  /** Guards of its own (RFC 7592's registration-access guard takes a bearer token too). */
  guarded: boolean;
  scopes: string[];
}

type Operation = {
  operationId?: string;
  description?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, Record<string, unknown>>;
};

const SCIM_ERROR = {
  type: 'object',
  description: 'RFC 7644 §3.12 error',
  required: ['schemas', 'status'],
  properties: {
    schemas: {
      type: 'array',
      items: { type: 'string', enum: ['urn:ietf:params:scim:api:messages:2.0:Error'] },
    },
    status: { type: 'string', description: 'The HTTP status, as a string', example: '400' },
    scimType: { type: 'string', example: 'invalidFilter' },
    detail: { type: 'string' },
    correlationId: { type: 'string', description: 'The valid X-Correlation-ID, when sent' },
  },
};

const OAUTH_ERROR = {
  type: 'object',
  description: 'RFC 6749 §5.2 error',
  required: ['error'],
  properties: {
    error: { type: 'string', example: 'invalid_request' },
    error_description: { type: 'string' },
    correlationId: { type: 'string', description: 'The valid X-Correlation-ID, when sent' },
  },
};

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
};
const WWW_AUTHENTICATE = {
  'WWW-Authenticate': {
    description: 'RFC 6750 §3 challenge',
    schema: { type: 'string', example: 'Bearer realm="default", error="invalid_token"' },
  },
};

/** Reads every controller method's access decorators, keyed by its operationId. */
export function readAccess(app: INestApplicationContext): Map<string, Access> {
  const access = new Map<string, Access>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type?.prototype) continue;
      const proto = type.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const read = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) as T | undefined) ??
          (Reflect.getMetadata(key, type) as T | undefined);
        // The operationId is the method name unless @ApiOperation names another.
        const operation = read<{ operationId?: string }>(API_OPERATION);
        access.set(operation?.operationId ?? name, {
          public: read<boolean>(IS_PUBLIC) === true,
          guarded: (read<unknown[]>(GUARDS_METADATA)?.length ?? 0) > 0,
          scopes: read<string[]>(REQUIRED_SCOPES) ?? [],
        });
      }
    }
  }
  return access;
}

/** Adds security, error answers and their schemas to every operation. Idempotent per answer. */
export function addConformance(document: OpenAPIObject, access: Map<string, Access>): void {
  document.components = {
    ...document.components,
    securitySchemes: {
      ...document.components?.securitySchemes,
      [CLIENT_BASIC_SCHEME]: {
        type: 'http',
        scheme: 'basic',
        description:
          'OAuth client authentication (client_secret_basic); client_secret_post sends client_id and client_secret in the form instead',
      },
    },
    schemas: { ...document.components?.schemas, ScimError: SCIM_ERROR, OAuthError: OAUTH_ERROR },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const a = access.get(operation.operationId ?? '');
      const bearer = !!a && (!a.public || a.guarded);
      const clientAuth = !!a && a.public && !a.guarded && method === 'post';
      if (bearer) operation.security = [{ [BEARER_SCHEME]: [] }];
      // client_secret_post needs no header: the empty requirement lets Swagger UI send none.
      else if (clientAuth) operation.security = [{ [CLIENT_BASIC_SCHEME]: [] }, {}];
      else operation.security = [];
      if (a && a.scopes.length > 0) {
        const note = `Scopes: \`${a.scopes.join(' ')}\`.`;
        operation.description = operation.description
          ? `${operation.description}\n\n${note}`
          : note;
      }
      addErrors(operation, path, method, bearer || clientAuth);
    }
  }
}

function addErrors(
  operation: Operation,
  path: string,
  method: (typeof HTTP_METHODS)[number],
  authenticated: boolean,
): void {
  const scim = path.includes('/v2/') || path.endsWith('/v2');
  const ref = { $ref: `#/components/schemas/${scim ? 'ScimError' : 'OAuthError'}` };
  const content = scim
    ? { 'application/scim+json': { schema: ref }, 'application/json': { schema: ref } }
    : { 'application/json': { schema: ref } };
  const answer = (description: string, headers: Record<string, unknown> = {}) => ({
    description,
    content,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
  const errors: Record<string, Record<string, unknown>> = {
    '400': answer('Bad request: invalid parameters, body or X-Correlation-ID'),
    ...(authenticated
      ? {
          '401': answer('Missing or invalid credentials', WWW_AUTHENTICATE),
          '403': answer('Credentials of another tenant, or a missing scope', WWW_AUTHENTICATE),
        }
      : {}),
    ...(path.includes('/{tenant}') ? { '404': answer('Unknown tenant, route or resource') } : {}),
    ...(method === 'post' || method === 'put' || method === 'patch'
      ? { '413': answer('Request body too large') }
      : {}),
    ...(scim && isResourceWrite(path, method)
      ? {
          '409': answer(
            'Conflict: a unique attribute is taken (scimType uniqueness), or the resource is still referenced',
          ),
          ...(method === 'post'
            ? {}
            : { '412': answer('If-Match does not name the current meta.version') }),
        }
      : {}),
    '429': answer('Rate limit reached (when configured)', RETRY_AFTER),
    '500': answer('Unexpected server error (no details are given)'),
    '503': answer('Database or audit trail unavailable; nothing was changed', RETRY_AFTER),
  };
  // A route that declares one of these answers with a body of its own keeps it; one that
  // declares only why it answers so gets the error body and headers from here.
  for (const [status, response] of Object.entries(errors)) {
    const declared = operation.responses[status];
    if (!declared?.content) operation.responses[status] = { ...response, ...declared };
  }
}

/** A SCIM create (POST on a collection) or a change of one resource (PUT, PATCH, DELETE on `{id}`). */
function isResourceWrite(path: string, method: (typeof HTTP_METHODS)[number]): boolean {
  const last = path.split('/').pop() ?? '';
  if (method === 'post') return /^[A-Z]\w*$/.test(last);
  return method !== 'get' && last === '{id}';
}
