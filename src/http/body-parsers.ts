import { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config';

const IMPORT_ROUTE = /\/\.import$/;

function parseError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * JSON (`application/json` and `application/scim+json`) and form bodies, with the size limits
 * of the contract: 1 MB in general, 10 MB on import routes (set per route as it registers).
 * Form parameters that repeat arrive as arrays so OAuth endpoints can refuse them. Other media
 * types are answered 415.
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
    (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(parseError(400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'invalid JSON'), undefined);
      }
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
      done(null, out);
    },
  );
}
