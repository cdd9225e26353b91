import { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error';
import { describeUnsafe, findUnsafeText, jsonNestingExceeds } from '../common/text-safety';
import { AppConfig } from '../config/app-config';

const IMPORT_ROUTE = /\/\.import$/;
/** Anything but what String.prototype.trim removes (\s is its very set). */
const NOT_BLANK = /\S/;

function parseError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * JSON (`application/json` and `application/scim+json`) and form bodies, with the size limits
 * of the contract: 1 MB in general, 10 MB on import routes (set per route as it registers).
 * Form parameters that repeat arrive as arrays so OAuth endpoints can refuse them. Other media
 * types are answered 415.
 *
 * What PostgreSQL or the code after the parser cannot take is refused here, before anything
 * runs (docs/reliability.md): JSON nested deeper than JSON_MAX_DEPTH, and NUL or unpaired
 * surrogates anywhere in a body, named by attribute. Import bodies are the exception for the
 * text rule: their items are judged one by one, so a bad item fails alone (API.md §8).
 */
export function registerBodyParsers(fastify: FastifyInstance, limits: AppConfig['limits']): void {
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit = IMPORT_ROUTE.test(route.url) ? limits.importBodyBytes : limits.bodyBytes;
  });

  // Only these media types are read; anything else (Fastify's default text/plain included)
  // is 415 rather than a body handed to a handler that expects JSON or a form.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = body as string;
      // Tested, not trimmed: a trimmed copy of a 10 MB import body was made for nothing.
      if (!NOT_BLANK.test(text)) return done(null, undefined);
      if (jsonNestingExceeds(text, limits.jsonDepth)) {
        return done(tooDeep(limits.jsonDepth), undefined);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return done(parseError(400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'invalid JSON'), undefined);
      }
      const unsafe = isImportRoute(request) ? undefined : findUnsafeText(parsed);
      done(unsafe ? invalidValue(describeUnsafe(unsafe)) : null, parsed);
    },
  );

  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body as string)) {
        const existing = out[key];
        out[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
      }
      const unsafe = findUnsafeText(out);
      done(unsafe ? invalidValue(describeUnsafe(unsafe)) : null, out);
    },
  );
}

function isImportRoute(request: FastifyRequest): boolean {
  return IMPORT_ROUTE.test(request.routeOptions.url ?? '');
}

/** Rendered in the route's format by the exception filter: SCIM invalidValue or OAuth. */
export function invalidValue(detail: string): ApiError {
  return new ApiError(400, 'invalid_request', detail, { scimType: 'invalidValue' });
}

function tooDeep(maxDepth: number): ApiError {
  return new ApiError(
    400,
    'invalid_request',
    `The request body nests objects and arrays deeper than ${maxDepth} levels`,
    { scimType: 'invalidSyntax' },
  );
}
